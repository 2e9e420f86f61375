/** In-memory donation store (tests, and servers run with LEADERBOARD_STORE=memory). */
import type { CropFilter, DonatedCrop, DonationStore, StoredCrop } from './donation-types.ts';

export class MemoryDonationStore implements DonationStore {
  readonly kind = 'memory';
  private rows: StoredCrop[] = [];
  private nextId = 1;

  async addCrops(crops: readonly DonatedCrop[]): Promise<void> {
    for (const c of crops) {
      this.rows.push({
        ...c,
        pixels: Uint8Array.from(c.pixels),
        probabilities: [...c.probabilities],
        id: this.nextId++,
      });
    }
  }

  async deleteDonor(donorId: string): Promise<number> {
    return this.removeWhere((r) => r.donorId === donorId);
  }

  async deleteDonatedBefore(time: number): Promise<number> {
    return this.removeWhere((r) => r.donatedAt < time);
  }

  async keepNewest(keep: number): Promise<number> {
    const excess = this.rows.length - Math.max(0, keep);
    if (excess <= 0) return 0;
    // Rows are kept in insertion (id) order, so the oldest are first.
    this.rows = this.rows.slice(excess);
    return excess;
  }

  async count(): Promise<number> {
    return this.rows.length;
  }

  async *crops(filter: CropFilter = {}): AsyncIterable<StoredCrop> {
    for (const r of [...this.rows]) if (filter.since === undefined || r.donatedAt >= filter.since) yield r;
  }

  async close(): Promise<void> {}

  private removeWhere(pred: (r: StoredCrop) => boolean): number {
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => !pred(r));
    return before - this.rows.length;
  }
}
