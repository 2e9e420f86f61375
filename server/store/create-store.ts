/** Picks the leaderboard store from configuration. */
import { join } from 'node:path';
import { MemoryLeaderboardStore } from './memory-store.ts';
import { openPgLeaderboardStore } from './pg-store.ts';
import { isDamage, StoreDamagedError } from './sqlite-integrity.ts';
import { SqliteLeaderboardStore } from './sqlite-store.ts';
import type { LeaderboardStore } from './types.ts';

export const LEADERBOARD_DB_FILE = 'leaderboard.sqlite';

export function createLeaderboardStore(options: { kind: 'sqlite' | 'memory'; dataDir: string }): LeaderboardStore {
  if (options.kind === 'memory') return new MemoryLeaderboardStore();
  return openSqliteLeaderboard(join(options.dataDir, LEADERBOARD_DB_FILE));
}

/**
 * Opens the leaderboard file and runs PRAGMA quick_check: a damaged file is refused with a
 * StoreDamagedError naming it (the server then does not start) rather than losing games later.
 */
export function openSqliteLeaderboard(file: string): SqliteLeaderboardStore {
  let store: SqliteLeaderboardStore;
  try {
    store = new SqliteLeaderboardStore(file);
  } catch (err) {
    if (isDamage(err)) throw new StoreDamagedError(file, [(err as Error).message]);
    throw new Error(`cannot open the leaderboard database ${file}: ${(err as Error).message}`);
  }
  const problems = store.integrityProblems();
  if (problems.length > 0) {
    store.close().catch(() => {});
    throw new StoreDamagedError(file, problems);
  }
  return store;
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
