/** In-memory leaderboard store (tests, and servers run without a data folder). */
import type { LeaderboardEntry } from '../../shared/protocol.ts';
import {
  type GameRecord,
  type LeaderboardQuery,
  type LeaderboardStore,
  markLookalikes,
  periodStart,
  playerTag,
  type RankedIdentity,
  rankIdentity,
  roundAverage,
} from './types.ts';

export class MemoryLeaderboardStore implements LeaderboardStore {
  readonly kind = 'memory';
  private readonly games = new Map<string, GameRecord>();
  /** Per game, the players whose game counts on the ranked board. */
  private readonly rankedPlayers = new Map<string, Set<string>>();
  private readonly identities = new Map<string, RankedIdentity>();

  async saveGame(game: GameRecord): Promise<void> {
    if (this.games.has(game.id)) return;
    this.games.set(game.id, structuredClone(game));
    const ranked = new Set<string>();
    for (const p of game.players) {
      const fromAddress = [...this.identities.values()]
        .filter((i) => i.addressKey === p.addressKey)
        .map((i) => i.registeredAt);
      const verdict = rankIdentity(game, p, this.identities.get(p.playerId) ?? null, fromAddress);
      if (verdict.register) this.identities.set(p.playerId, verdict.register);
      if (verdict.ranked) ranked.add(p.playerId);
    }
    this.rankedPlayers.set(game.id, ranked);
  }

  async getGame(id: string): Promise<GameRecord | null> {
    const g = this.games.get(id);
    return g ? structuredClone(g) : null;
  }

  async leaderboard(query: LeaderboardQuery): Promise<LeaderboardEntry[]> {
    const since = periodStart(query);
    const practice = query.board === 'practice';
    const latestName = new Map<string, { at: number; nickname: string }>();
    const stats = new Map<string, { games: number; total: number; best: number }>();
    for (const g of this.games.values()) {
      const ranked = this.rankedPlayers.get(g.id) ?? new Set<string>();
      for (const p of g.players) {
        const seen = latestName.get(p.playerId);
        if (!seen || g.finishedAt >= seen.at) latestName.set(p.playerId, { at: g.finishedAt, nickname: p.nickname });
        if (g.finishedAt < since || g.rounds < 1) continue;
        if (!practice && !this.identities.has(p.playerId)) continue;
        const s = stats.get(p.playerId) ?? { games: 0, total: 0, best: Number.NEGATIVE_INFINITY };
        s.games++;
        s.total += p.score;
        // Every game counts for games played and points; only ranked ones for the ranked best.
        if (practice || ranked.has(p.playerId)) s.best = Math.max(s.best, p.score / g.rounds);
        stats.set(p.playerId, s);
      }
    }
    const rows = [...stats]
      .filter(([, s]) => s.best > 0)
      .map(([playerId, s]) => ({ playerId, ...s }))
      .sort(
        (a, b) =>
          b.best - a.best ||
          b.total - a.total ||
          b.games - a.games ||
          (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0),
      )
      .slice(0, query.limit);
    return markLookalikes(
      rows.map((r, i) => ({
        rank: i + 1,
        playerId: r.playerId,
        nickname: practice
          ? (latestName.get(r.playerId)?.nickname ?? '')
          : (this.identities.get(r.playerId)?.boardName ?? ''),
        gamesPlayed: r.games,
        totalPoints: r.total,
        bestAveragePerRound: roundAverage(r.best),
        tag: playerTag(r.playerId),
        lookalike: false,
      })),
    );
  }

  async close(): Promise<void> {}
}
