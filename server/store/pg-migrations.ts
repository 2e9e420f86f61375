/**
 * Versioned, idempotent schema migrations for the PostgreSQL leaderboard store.
 * Each version runs once, in its own transaction, recorded in `schema_migrations`.
 * Several nodes may start at the same moment, so the whole run holds an advisory
 * lock: the first node migrates, the others wait and then find nothing to do.
 */
import type { Pool } from 'pg';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'games, game_players, players',
    sql: `
      CREATE TABLE IF NOT EXISTS games (
        id TEXT PRIMARY KEY,
        room_code TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT NOT NULL,
        rounds INTEGER NOT NULL,
        settings_json JSONB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS games_finished_at ON games (finished_at);
      CREATE TABLE IF NOT EXISTS game_players (
        game_id TEXT NOT NULL REFERENCES games (id) ON DELETE CASCADE,
        player_id TEXT NOT NULL,
        nickname TEXT NOT NULL,
        score INTEGER NOT NULL,
        per_emotion_best_json JSONB NOT NULL,
        PRIMARY KEY (game_id, player_id)
      );
      CREATE INDEX IF NOT EXISTS game_players_player ON game_players (player_id);
      CREATE TABLE IF NOT EXISTS players (
        player_id TEXT PRIMARY KEY,
        nickname TEXT NOT NULL,
        seen_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'ranked games and identities (docs/scoring.md, Leaderboard)',
    sql: `
      ALTER TABLE games ADD COLUMN IF NOT EXISTS ranked BOOLEAN NOT NULL DEFAULT FALSE;
      ALTER TABLE game_players ADD COLUMN IF NOT EXISTS ranked BOOLEAN NOT NULL DEFAULT FALSE;
      ALTER TABLE game_players ADD COLUMN IF NOT EXISTS address_key TEXT;
      CREATE TABLE IF NOT EXISTS ranked_identities (
        player_id TEXT PRIMARY KEY,
        board_name TEXT NOT NULL,
        address_key TEXT NOT NULL,
        registered_at BIGINT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ranked_identities_address ON ranked_identities (address_key, registered_at);
    `,
  },
];

/** Arbitrary but fixed: the advisory lock key of this project's migrations. */
const MIGRATION_LOCK_KEY = 0x41524e41; // "ARNA"

/** Applies the migrations the database lacks; returns the versions applied now. */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version INTEGER PRIMARY KEY,
           description TEXT NOT NULL,
           applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )`,
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
      );
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [
            m.version,
            m.description,
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${m.version} (${m.description}) failed: ${(err as Error).message}`);
        }
        applied.push(m.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return applied;
}
