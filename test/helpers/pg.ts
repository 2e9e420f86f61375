/** PostgreSQL for tests: the development machine's database `test` (scripts/ensure-services.sh starts it), one schema per test. */
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.ARENA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let counter = 0;
/** A schema name no other test (in this or another process) uses. */
export function newTestSchema(label: string): string {
  return `t_${label}_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function dropTestSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
