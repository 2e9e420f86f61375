/**
 * PostgreSQL leaderboard store (`pg` with a connection pool), for cluster mode where
 * several game nodes write finished games to one database. Same contract and the same
 * ranking query as the SQLite store; the schema comes from versioned migrations run at open.
 */
import type pg from 'pg';
import type { Emotion } from '../../shared/emotions.ts';
import type { GameSettings, LeaderboardEntry } from '../../shared/protocol.ts';
import { migrate } from './pg-migrations.ts';
import { openPgPool } from './pg-pool.ts';
import {
  type GamePlayerRecord,
  type GameRecord,
  type LeaderboardQuery,
  type LeaderboardStore,
  markLookalikes,
  periodStart,
  playerTag,
  rankIdentity,
  roundAverage,
} from './types.ts';

export interface PgStoreOptions {
  connectionString: string;
  /** A schema other than `public` (tests give each run its own); created when missing. */
  schema?: string;
  /** Pool size per node (default 10). */
  maxConnections?: number;
}

interface GameRow {
  id: string;
  room_code: string;
  started_at: number;
  finished_at: number;
  rounds: number;
  settings_json: GameSettings;
  ranked: boolean;
}
interface PlayerRow {
  player_id: string;
  nickname: string;
  score: number;
  per_emotion_best_json: Partial<Record<Emotion, number>>;
  address_key: string | null;
}
interface IdentityRow {
  player_id: string;
  board_name: string;
  address_key: string;
  registered_at: number;
}
interface BoardRow {
  player_id: string;
  nickname: string;
  games: number;
  total: number;
  best: number;
}

/** Opens a pool, creates the schema if asked, runs the migrations, and returns the store. */
export async function openPgLeaderboardStore(options: PgStoreOptions): Promise<PgLeaderboardStore> {
  const { schema } = options;
  const pool = await openPgPool(
    { connectionString: options.connectionString, schema, maxConnections: options.maxConnections ?? 10 },
    async (p) => {
      if (schema) await p.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await migrate(p);
    },
  );
  return new PgLeaderboardStore(pool);
}

export class PgLeaderboardStore implements LeaderboardStore {
  readonly kind = 'postgres';
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  async saveGame(game: GameRecord): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query(
        `INSERT INTO games (id, room_code, started_at, finished_at, rounds, settings_json, ranked)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
        [
          game.id,
          game.roomCode,
          game.startedAt,
          game.finishedAt,
          game.rounds,
          JSON.stringify(game.settings),
          game.ranked === true,
        ],
      );
      if (inserted.rowCount === 1) {
        // Sorted so that two nodes saving games with the same players lock the name rows in one order (no deadlock).
        const players = [...game.players].sort((a, b) =>
          a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0,
        );
        const rankedPlayers = game.ranked ? await this.rankPlayers(client, game, players) : new Set<string>();
        for (const p of players) {
          const ranked = rankedPlayers.has(p.playerId);
          await client.query(
            `INSERT INTO game_players (game_id, player_id, nickname, score, per_emotion_best_json, ranked, address_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
            [game.id, p.playerId, p.nickname, p.score, JSON.stringify(p.perEmotionBest), ranked, p.addressKey ?? null],
          );
          await client.query(
            `INSERT INTO players (player_id, nickname, seen_at) VALUES ($1, $2, $3)
             ON CONFLICT (player_id) DO UPDATE SET nickname = excluded.nickname, seen_at = excluded.seen_at
             WHERE excluded.seen_at >= players.seen_at`,
            [p.playerId, p.nickname, game.finishedAt],
          );
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async getGame(id: string): Promise<GameRecord | null> {
    const g = await this.pool.query<GameRow>(
      `SELECT id, room_code, started_at::float8 AS started_at, finished_at::float8 AS finished_at, rounds, settings_json,
              ranked
       FROM games WHERE id = $1`,
      [id],
    );
    const row = g.rows[0];
    if (!row) return null;
    const players = await this.pool.query<PlayerRow>(
      `SELECT player_id, nickname, score, per_emotion_best_json, address_key FROM game_players WHERE game_id = $1
       ORDER BY score DESC, player_id COLLATE "C"`,
      [id],
    );
    return {
      id: row.id,
      roomCode: row.room_code,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      rounds: row.rounds,
      settings: row.settings_json,
      ranked: row.ranked,
      players: players.rows.map((p) => ({
        playerId: p.player_id,
        nickname: p.nickname,
        score: p.score,
        perEmotionBest: p.per_emotion_best_json,
        ...(p.address_key === null ? {} : { addressKey: p.address_key }),
      })),
    };
  }

  async leaderboard(query: LeaderboardQuery): Promise<LeaderboardEntry[]> {
    const since = periodStart(query);
    // COLLATE "C": ties on every number order by player id bytewise, as in the SQLite and memory stores.
    // Ranked: the best of the identity's ranked games, under its registered name; practice: every
    // game, under the latest nickname (as the SQLite store).
    const practice = query.board === 'practice';
    const best = practice ? 'gp.score::float8 / g.rounds' : 'CASE WHEN gp.ranked THEN gp.score::float8 / g.rounds END';
    const r = await this.pool.query<BoardRow>(
      `SELECT gp.player_id, ${practice ? 'p.nickname' : 'ri.board_name'} AS nickname, COUNT(*)::int AS games,
              SUM(gp.score)::float8 AS total, MAX(${best}) AS best
       FROM game_players gp
       JOIN games g ON g.id = gp.game_id
       ${practice ? 'JOIN players p ON p.player_id = gp.player_id' : 'JOIN ranked_identities ri ON ri.player_id = gp.player_id'}
       WHERE g.finished_at >= $1 AND g.rounds > 0
       GROUP BY gp.player_id, ${practice ? 'p.nickname' : 'ri.board_name'}
       HAVING MAX(${best}) > 0
       ORDER BY best DESC, total DESC, games DESC, gp.player_id COLLATE "C"
       LIMIT $2`,
      [Number.isFinite(since) ? since : -1, query.limit],
    );
    return markLookalikes(
      r.rows.map((row, i) => ({
        rank: i + 1,
        playerId: row.player_id,
        nickname: row.nickname,
        gamesPlayed: row.games,
        totalPoints: row.total,
        bestAveragePerRound: roundAverage(row.best),
        tag: playerTag(row.player_id),
        lookalike: false,
      })),
    );
  }

  /**
   * Which players' game ranks, registering identities on their first ranked game
   * (rankIdentity). The game's addresses are locked first, all of them in one order, so two
   * nodes saving games cannot both take an address's last free registration, nor deadlock on
   * each other's addresses; identities and registrations are read in one query each to keep
   * the transaction short.
   */
  private async rankPlayers(
    client: pg.PoolClient,
    game: GameRecord,
    players: readonly GamePlayerRecord[],
  ): Promise<Set<string>> {
    const addresses = [...new Set(players.map((p) => p.addressKey ?? ''))].filter(Boolean).sort();
    await client.query(
      'SELECT pg_advisory_xact_lock(hashtext(a)) FROM unnest($1::text[]) AS a ORDER BY a COLLATE "C"',
      [addresses.map((a) => `arena-address/${a}`)],
    );
    const known = await client.query<IdentityRow>(
      `SELECT player_id, board_name, address_key, registered_at::float8 AS registered_at
       FROM ranked_identities WHERE player_id = ANY($1::text[])`,
      [players.map((p) => p.playerId)],
    );
    const identities = new Map(
      known.rows.map((r) => [
        r.player_id,
        { playerId: r.player_id, boardName: r.board_name, addressKey: r.address_key, registeredAt: r.registered_at },
      ]),
    );
    const regs = await client.query<{ address_key: string; registered_at: number }>(
      `SELECT address_key, registered_at::float8 AS registered_at FROM ranked_identities
       WHERE address_key = ANY($1::text[])`,
      [addresses],
    );
    const byAddress = new Map<string, number[]>();
    for (const r of regs.rows) byAddress.set(r.address_key, [...(byAddress.get(r.address_key) ?? []), r.registered_at]);
    const ranked = new Set<string>();
    for (const p of players) {
      const fromAddress = byAddress.get(p.addressKey ?? '') ?? [];
      const verdict = rankIdentity(game, p, identities.get(p.playerId) ?? null, fromAddress);
      const r = verdict.register;
      if (r) {
        await client.query(
          `INSERT INTO ranked_identities (player_id, board_name, address_key, registered_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (player_id) DO UPDATE SET board_name = excluded.board_name, registered_at = excluded.registered_at
           WHERE excluded.registered_at < ranked_identities.registered_at`,
          [r.playerId, r.boardName, r.addressKey, r.registeredAt],
        );
        // A second new identity from the same address in this game counts this registration.
        if (!identities.has(p.playerId)) byAddress.set(r.addressKey, [...fromAddress, r.registeredAt]);
      }
      if (verdict.ranked) ranked.add(p.playerId);
    }
    return ranked;
  }

  /** Health probe: throws when the database does not answer. */
  async check(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Round-trip time of a trivial query, for /healthz; throws when the database is unreachable. */
  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.pool.query('SELECT 1');
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
