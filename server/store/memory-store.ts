/** In-memory leaderboard store (tests, and servers run without a data folder). */
import type { LeaderboardEntry } from '../../shared/protocol.ts';
import {
  type GameRecord,
  type LeaderboardQuery,
  type LeaderboardStore,
  MIN_RANKED_ROUNDS,
  periodStart,
  playerTag,
  roundAverage,
} from './types.ts';

export class MemoryLeaderboardStore implements LeaderboardStore {
  readonly kind = 'memory';
  private readonly games = new Map<string, GameRecord>();

  async saveGame(game: GameRecord): Promise<void> {
    if (!this.games.has(game.id)) this.games.set(game.id, structuredClone(game));
  }

  async getGame(id: string): Promise<GameRecord | null> {
    const g = this.games.get(id);
    return g ? structuredClone(g) : null;
  }

  async leaderboard(query: LeaderboardQuery): Promise<LeaderboardEntry[]> {
    const since = periodStart(query);
    const latestName = new Map<string, { at: number; nickname: string }>();
    const stats = new Map<string, { games: number; total: number; best: number | null }>();
    for (const g of this.games.values()) {
      for (const p of g.players) {
        const seen = latestName.get(p.playerId);
        if (!seen || g.finishedAt >= seen.at) latestName.set(p.playerId, { at: g.finishedAt, nickname: p.nickname });
        if (g.finishedAt < since) continue;
        const s = stats.get(p.playerId) ?? { games: 0, total: 0, best: null };
        s.games++;
        s.total += p.score;
        if (g.rounds >= MIN_RANKED_ROUNDS) s.best = Math.max(s.best ?? Number.NEGATIVE_INFINITY, p.score / g.rounds);
        stats.set(p.playerId, s);
      }
    }
    const rows = [...stats]
      .filter(([, s]) => s.best !== null)
      .map(([playerId, s]) => ({ playerId, games: s.games, total: s.total, best: s.best as number }))
      .sort(
        (a, b) =>
          b.best - a.best ||
          b.total - a.total ||
          b.games - a.games ||
          (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0),
      )
      .slice(0, query.limit);
    return rows.map((r, i) => ({
      rank: i + 1,
      playerId: r.playerId,
      nickname: latestName.get(r.playerId)?.nickname ?? '',
      gamesPlayed: r.games,
      totalPoints: r.total,
      bestAveragePerRound: roundAverage(r.best),
      tag: playerTag(r.playerId),
      lookalike: false,
    }));
  }

  async close(): Promise<void> {}
}
