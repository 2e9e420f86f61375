/** Picks the leaderboard store from configuration. */
import { join } from 'node:path';
import { MemoryLeaderboardStore } from './memory-store.ts';
import { SqliteLeaderboardStore } from './sqlite-store.ts';
import type { LeaderboardStore } from './types.ts';

export const LEADERBOARD_DB_FILE = 'leaderboard.sqlite';

export function createLeaderboardStore(options: { kind: 'sqlite' | 'memory'; dataDir: string }): LeaderboardStore {
  if (options.kind === 'memory') return new MemoryLeaderboardStore();
  return new SqliteLeaderboardStore(join(options.dataDir, LEADERBOARD_DB_FILE));
}
