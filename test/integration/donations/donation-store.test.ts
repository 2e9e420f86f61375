/**
 * One contract for every donation store: memory, SQLite (the leaderboard's file) and PostgreSQL
 * (cluster mode; the development machine's test database, one schema per run).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../server/donations/cli.ts';
import { MemoryDonationStore } from '../../../server/store/donation-memory-store.ts';
import { openPgDonationStore } from '../../../server/store/donation-pg-store.ts';
import { SqliteDonationStore } from '../../../server/store/donation-sqlite-store.ts';
import type { DonatedCrop, DonationStore, StoredCrop } from '../../../server/store/donation-types.ts';
import { readFer2013 } from '../../../training/data/fer2013-reader.ts';
import { dropTestSchema, newTestSchema, TEST_DATABASE_URL } from '../../helpers/pg.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

function crop(donorId: string, day: number, n: number): DonatedCrop {
  const pixels = new Uint8Array(2304);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + n) & 255;
  return {
    donorId,
    prompt: (['happy', 'sad', 'fear'] as const)[n % 3] as DonatedCrop['prompt'],
    pixels,
    probabilities: [0.1, 0, 0.2, 0.5, 0.1, 0.05, 0.05],
    modelVersion: 'emotion/vgg16@abc',
    msIntoRound: 100 * n,
    donatedAt: T0 + day * DAY,
  };
}

async function all(store: DonationStore, since?: number): Promise<StoredCrop[]> {
  const out: StoredCrop[] = [];
  for await (const c of store.crops(since === undefined ? {} : { since })) out.push(c);
  return out;
}

const schemas: string[] = [];
const kinds: [string, () => Promise<DonationStore>][] = [
  ['memory', async () => new MemoryDonationStore()],
  ['sqlite', async () => new SqliteDonationStore(join(mkdtempSync(join(tmpdir(), 'donation-store-')), 'lb.sqlite'))],
  [
    'postgres',
    async () => {
      const schema = newTestSchema('donations');
      schemas.push(schema);
      return openPgDonationStore({ connectionString: TEST_DATABASE_URL, schema });
    },
  ],
];

afterAll(async () => {
  for (const s of schemas) await dropTestSchema(s);
});

describe.each(kinds)('%s donation store', (_kind, open) => {
  it('gives back exactly what was stored, oldest first, filtered by day', async () => {
    const store = await open();
    try {
      const input = [crop('donorA', 0, 1), crop('donorB', 1, 2), crop('donorA', 2, 3)];
      await store.addCrops(input);
      await store.addCrops([]);
      const out = await all(store);
      expect(out.map(({ id: _id, ...rest }) => ({ ...rest, pixels: Array.from(rest.pixels) }))).toEqual(
        input.map((c) => ({ ...c, pixels: Array.from(c.pixels) })),
      );
      expect(new Set(out.map((c) => c.id)).size).toBe(3);
      expect((await all(store, T0 + DAY)).map((c) => c.msIntoRound)).toEqual([200, 300]);
      expect(await store.count()).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('deletes one donor’s crops exactly, by age and by size (newest kept)', async () => {
    const store = await open();
    try {
      await store.addCrops([0, 1, 2, 3, 4, 5].map((n) => crop(n % 2 ? 'odd' : 'even', n, n)));
      expect(await store.deleteDonor('odd')).toBe(3);
      expect(await store.deleteDonor('odd')).toBe(0);
      expect((await all(store)).map((c) => c.donorId)).toEqual(['even', 'even', 'even']);
      expect(await store.deleteDonatedBefore(T0 + 2 * DAY)).toBe(1);
      await store.addCrops([crop('late', 9, 9)]);
      expect(await store.keepNewest(2)).toBe(1);
      expect((await all(store)).map((c) => c.msIntoRound)).toEqual([400, 900]);
      expect(await store.keepNewest(5)).toBe(0);
      expect(await store.keepNewest(0)).toBe(2);
      expect(await store.count()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('pages through more crops than one page', async () => {
    const store = await open();
    try {
      await store.addCrops(Array.from({ length: 1203 }, (_, n) => crop(`d${n % 40}`, 0, n)));
      const out = await all(store);
      expect(out).toHaveLength(1203);
      expect(out.map((c) => c.msIntoRound)).toEqual(Array.from({ length: 1203 }, (_, n) => 100 * n));
    } finally {
      await store.close();
    }
  });
});

describe('the donations CLI in cluster mode (PostgreSQL)', () => {
  it('exports, counts and deletes from the database given by --database-url', async () => {
    const schema = newTestSchema('donations_cli');
    schemas.push(schema);
    const store = await openPgDonationStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.addCrops([crop('cliDonorAAAAAAAA', 0, 1), crop('cliDonorBBBBBBBB', 0, 2)]);
    await store.close();
    const url = `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    try {
      const file = join(mkdtempSync(join(tmpdir(), 'donation-cli-pg-')), 'd.csv');
      expect(await main(['--database-url', url, 'export', '--out', file], {})).toBe(0);
      expect((await readFer2013(file)).count).toBe(2);
      expect(await main(['--database-url', url, 'delete', '--donor', 'cliDonorAAAAAAAA'], {})).toBe(0);
      expect(await main(['stats'], { DATABASE_URL: url })).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(out[1]).toBe('deleted 1 crop of donor cliDonorAAAAAAAA');
    expect(out[2]).toMatch(/^donated crops: 1 from 1 donor/);
  });
});
