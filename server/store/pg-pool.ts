/**
 * One way to open a PostgreSQL pool for a store: the schema name checked (it is spliced into SQL),
 * every connection working in that schema, a pool-level error listener, and the pool closed again
 * when the store's set-up fails, so a refused start leaves no connections behind.
 */
import pg from 'pg';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PgPoolOptions {
  connectionString: string;
  /** A schema other than `public` (tests give each run its own); the set-up creates it. */
  schema?: string;
  maxConnections: number;
}

export async function openPgPool(options: PgPoolOptions, setUp: (pool: pg.Pool) => Promise<void>): Promise<pg.Pool> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name "${schema}"`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections,
    connectionTimeoutMillis: 5_000,
    // Every connection of this pool works in the chosen schema.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client whose server connection drops emits 'error' on the pool; without a listener it would crash the process.
  pool.on('error', () => {});
  try {
    await setUp(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return pool;
}
