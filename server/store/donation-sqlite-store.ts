/**
 * Donated crops in the leaderboard's SQLite file, table `donated_crops`. It opens its own
 * connection (WAL mode lets it share the file with the leaderboard store), so the game's
 * store code is untouched and the offline `npm run donations` tool can open it alone.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type Emotion, isEmotion } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import type { CropFilter, DonatedCrop, DonationStore, StoredCrop } from './donation-types.ts';

export const DONATION_TABLE = 'donated_crops';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${DONATION_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  donor_id TEXT NOT NULL,
  prompt TEXT NOT NULL,
  pixels BLOB NOT NULL,
  probabilities_json TEXT NOT NULL,
  model_version TEXT NOT NULL,
  ms_into_round INTEGER NOT NULL,
  donated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ${DONATION_TABLE}_donor ON ${DONATION_TABLE} (donor_id);
CREATE INDEX IF NOT EXISTS ${DONATION_TABLE}_donated_at ON ${DONATION_TABLE} (donated_at);
`;

interface CropRow {
  id: number;
  donor_id: string;
  prompt: string;
  pixels: Buffer;
  probabilities_json: string;
  model_version: string;
  ms_into_round: number;
  donated_at: number;
}

export class DonationTableMissingError extends Error {}

export class SqliteDonationStore implements DonationStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly insertTx: ((crops: readonly DonatedCrop[]) => void) | null = null;

  /** `readonly` opens an existing file without creating anything (the offline export/stats tool). */
  constructor(
    readonly file: string,
    options: { readonly?: boolean } = {},
  ) {
    if (options.readonly) {
      this.db = new Database(file, { readonly: true, fileMustExist: true });
      const table = this.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
        .get(DONATION_TABLE);
      if (!table) {
        this.db.close();
        throw new DonationTableMissingError(`${file} has no ${DONATION_TABLE} table (no crop was ever donated there)`);
      }
      return;
    }
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 2000');
    this.db.exec(SCHEMA);
    const insert = this.db.prepare(
      `INSERT INTO ${DONATION_TABLE} (donor_id, prompt, pixels, probabilities_json, model_version, ms_into_round, donated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertTx = this.db.transaction((crops: readonly DonatedCrop[]) => {
      for (const c of crops) {
        insert.run(
          c.donorId,
          c.prompt,
          Buffer.from(c.pixels.buffer, c.pixels.byteOffset, c.pixels.byteLength),
          JSON.stringify(c.probabilities),
          c.modelVersion,
          Math.round(c.msIntoRound),
          c.donatedAt,
        );
      }
    });
  }

  async addCrops(crops: readonly DonatedCrop[]): Promise<void> {
    if (!this.insertTx) throw new Error(`${this.file} is open read-only`);
    if (crops.length > 0) this.insertTx(crops);
  }

  async deleteDonor(donorId: string): Promise<number> {
    return this.db.prepare(`DELETE FROM ${DONATION_TABLE} WHERE donor_id = ?`).run(donorId).changes;
  }

  async deleteDonatedBefore(time: number): Promise<number> {
    return this.db.prepare(`DELETE FROM ${DONATION_TABLE} WHERE donated_at < ?`).run(time).changes;
  }

  async keepNewest(keep: number): Promise<number> {
    return this.db
      .prepare(
        `DELETE FROM ${DONATION_TABLE} WHERE id NOT IN (SELECT id FROM ${DONATION_TABLE} ORDER BY id DESC LIMIT ?)`,
      )
      .run(Math.max(0, keep)).changes;
  }

  async count(): Promise<number> {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${DONATION_TABLE}`).get() as { n: number }).n;
  }

  async *crops(filter: CropFilter = {}): AsyncIterable<StoredCrop> {
    const rows = this.db
      .prepare<[number], CropRow>(`SELECT * FROM ${DONATION_TABLE} WHERE donated_at >= ? ORDER BY id`)
      .iterate(filter.since ?? Number.MIN_SAFE_INTEGER);
    for (const r of rows) yield fromRow(r);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
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
    probabilities: JSON.parse(r.probabilities_json) as number[],
    modelVersion: r.model_version,
    msIntoRound: r.ms_into_round,
    donatedAt: r.donated_at,
  };
}
