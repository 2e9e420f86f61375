/**
 * Picks the donation store to match the leaderboard store: the same SQLite file (own table),
 * memory with LEADERBOARD_STORE=memory, or the cluster's PostgreSQL database with DATABASE_URL.
 */
import { join } from 'node:path';
import { LEADERBOARD_DB_FILE } from './create-store.ts';
import { MemoryDonationStore } from './donation-memory-store.ts';
import { openPgDonationStore } from './donation-pg-store.ts';
import { SqliteDonationStore } from './donation-sqlite-store.ts';
import type { DonationStore } from './donation-types.ts';

export function createDonationStore(options: { kind: 'sqlite' | 'memory'; dataDir: string }): DonationStore {
  if (options.kind === 'memory') return new MemoryDonationStore();
  return new SqliteDonationStore(join(options.dataDir, LEADERBOARD_DB_FILE));
}

export async function openDonationStore(options: {
  kind: 'sqlite' | 'memory';
  dataDir: string;
  databaseUrl: string | null;
}): Promise<DonationStore> {
  if (!options.databaseUrl) return createDonationStore(options);
  try {
    return await openPgDonationStore({ connectionString: options.databaseUrl });
  } catch (err) {
    throw new Error(`cannot open the donation table in PostgreSQL (DATABASE_URL): ${(err as Error).message}`);
  }
}
