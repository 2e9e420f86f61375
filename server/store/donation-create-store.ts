/** Picks the donation store to match the leaderboard store (same SQLite file, own table). */
import { join } from 'node:path';
import { LEADERBOARD_DB_FILE } from './create-store.ts';
import { MemoryDonationStore } from './donation-memory-store.ts';
import { SqliteDonationStore } from './donation-sqlite-store.ts';
import type { DonationStore } from './donation-types.ts';

export function createDonationStore(options: { kind: 'sqlite' | 'memory'; dataDir: string }): DonationStore {
  if (options.kind === 'memory') return new MemoryDonationStore();
  return new SqliteDonationStore(join(options.dataDir, LEADERBOARD_DB_FILE));
}
