/**
 * Donated crops in the cluster's PostgreSQL database (the leaderboard's, DATABASE_URL), table
 * `donated_crops` with the same columns as the SQLite store. The table is created at open under
 * an advisory lock of its own, so several nodes starting together create it once and the
 * leaderboard's migrations are left alone.
 */
import type pg from 'pg';
import { type Emotion, isEmotion } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { DONATION_TABLE } from './donation-sqlite-store.ts';
import type { CropFilter, DonatedCrop, DonationStore, StoredCrop } from './donation-types.ts';
import { openPgPool } from './pg-pool.ts';

/** Any fixed 64-bit key, distinct from the leaderboard migrations' lock. */
const TABLE_LOCK_KEY = 0x646f6e617465; // "donate"
const PAGE = 500;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${DONATION_TABLE} (
  id BIGSERIAL PRIMARY KEY,
  donor_id TEXT NOT NULL,
  prompt TEXT NOT NULL,
  pixels BYTEA NOT NULL,
  probabilities_json JSONB NOT NULL,
  model_version TEXT NOT NULL,
  ms_into_round INTEGER NOT NULL,
  donated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS ${DONATION_TABLE}_donor ON ${DONATION_TABLE} (donor_id);
CREATE INDEX IF NOT EXISTS ${DONATION_TABLE}_donated_at ON ${DONATION_TABLE} (donated_at);
`;

interface CropRow {
  id: number;
  donor_id: string;
  prompt: string;
  pixels: Buffer;
  probabilities_json: number[];
  model_version: string;
  ms_into_round: number;
  donated_at: number;
}

export interface PgDonationStoreOptions {
  connectionString: string;
  /** A schema other than `public` (tests give each run its own); created when missing. */
  schema?: string;
}

export async function openPgDonationStore(options: PgDonationStoreOptions): Promise<PgDonationStore> {
  const { schema } = options;
  const pool = await openPgPool(
    { connectionString: options.connectionString, schema, maxConnections: 4 },
    async (p) => {
      const client = await p.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [TABLE_LOCK_KEY]);
        if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query(SCHEMA);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
  );
  return new PgDonationStore(pool);
}

export class PgDonationStore implements DonationStore {
  readonly kind = 'postgres';
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  async addCrops(crops: readonly DonatedCrop[]): Promise<void> {
    if (crops.length === 0) return;
    const values: unknown[] = [];
    const rows = crops.map((c, i) => {
      values.push(
        c.donorId,
        c.prompt,
        Buffer.from(c.pixels.buffer, c.pixels.byteOffset, c.pixels.byteLength),
        JSON.stringify(c.probabilities),
        c.modelVersion,
        Math.round(c.msIntoRound),
        c.donatedAt,
      );
      const b = i * 7;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`;
    });
    // One statement: the batch is stored whole or not at all.
    await this.pool.query(
      `INSERT INTO ${DONATION_TABLE} (donor_id, prompt, pixels, probabilities_json, model_version, ms_into_round, donated_at)
       VALUES ${rows.join(', ')}`,
      values,
    );
  }

  async deleteDonor(donorId: string): Promise<number> {
    return (await this.pool.query(`DELETE FROM ${DONATION_TABLE} WHERE donor_id = $1`, [donorId])).rowCount ?? 0;
  }

  async deleteDonatedBefore(time: number): Promise<number> {
    return (await this.pool.query(`DELETE FROM ${DONATION_TABLE} WHERE donated_at < $1`, [time])).rowCount ?? 0;
  }

  async keepNewest(keep: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM ${DONATION_TABLE} WHERE id < COALESCE(
         (SELECT id FROM ${DONATION_TABLE} ORDER BY id DESC OFFSET $1 LIMIT 1) + 1, 0)`,
      [Math.max(0, keep)],
    );
    return r.rowCount ?? 0;
  }

  async count(): Promise<number> {
    return (await this.pool.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${DONATION_TABLE}`)).rows[0]?.n ?? 0;
  }

  /** Pages through the table by id, so an export of any size never holds it all in memory. */
  async *crops(filter: CropFilter = {}): AsyncIterable<StoredCrop> {
    let after = 0;
    for (;;) {
      const page = await this.pool.query<CropRow>(
        `SELECT id::float8 AS id, donor_id, prompt, pixels, probabilities_json, model_version, ms_into_round,
                donated_at::float8 AS donated_at
         FROM ${DONATION_TABLE} WHERE id > $1 AND donated_at >= $2 ORDER BY id LIMIT ${PAGE}`,
        [after, filter.since ?? Number.MIN_SAFE_INTEGER],
      );
      for (const r of page.rows) yield fromRow(r);
      if (page.rows.length < PAGE) return;
      after = (page.rows[page.rows.length - 1] as CropRow).id;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function fromRow(r: CropRow): StoredCrop {
  if (!isEmotion(r.prompt)) throw new Error(`${DONATION_TABLE} row ${r.id}: unknown prompt "${r.prompt}"`);
  if (r.pixels.byteLength !== FRAME_BYTES) {
    throw new Error(`${DONATION_TABLE} row ${r.id}: ${r.pixels.byteLength} pixel bytes, not ${FRAME_BYTES}`);
  }
  return {
    id: r.id,
    donorId: r.donor_id,
    prompt: r.prompt as Emotion,
    pixels: new Uint8Array(r.pixels),
    probabilities: r.probabilities_json,
    modelVersion: r.model_version,
    msIntoRound: r.ms_into_round,
    donatedAt: r.donated_at,
  };
}
