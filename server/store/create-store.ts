/** Picks the leaderboard store from configuration. */
import { join } from 'node:path';
import { MemoryLeaderboardStore } from './memory-store.ts';
import { openPgLeaderboardStore } from './pg-store.ts';
import { SqliteLeaderboardStore } from './sqlite-store.ts';
import type { LeaderboardStore } from './types.ts';

export const LEADERBOARD_DB_FILE = 'leaderboard.sqlite';

export function createLeaderboardStore(options: { kind: 'sqlite' | 'memory'; dataDir: string }): LeaderboardStore {
  if (options.kind === 'memory') return new MemoryLeaderboardStore();
  return new SqliteLeaderboardStore(join(options.dataDir, LEADERBOARD_DB_FILE));
}

/** As createLeaderboardStore, or the PostgreSQL store (migrated at open) when DATABASE_URL is set. */
export async function openLeaderboardStore(options: {
  kind: 'sqlite' | 'memory';
  dataDir: string;
  databaseUrl: string | null;
}): Promise<LeaderboardStore> {
  if (!options.databaseUrl) return createLeaderboardStore(options);
  try {
    return await openPgLeaderboardStore({ connectionString: options.databaseUrl });
  } catch (err) {
    throw new Error(`cannot open the PostgreSQL leaderboard at DATABASE_URL: ${(err as Error).message}`);
  }
}
