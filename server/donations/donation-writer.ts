/**
 * Writes donated crops to the store off the frame path: rows are buffered and written in
 * one batch a moment later, never inside a frame's handling or a round's timer callback.
 * After each batch (and on a timer) the retention rules are enforced.
 */
import type { Clock, TimerHandle } from '../game/clock.ts';
import type { Logger } from '../logging.ts';
import type { DonatedCrop, DonationStore } from '../store/donation-types.ts';
import { type RetentionRules, retentionCutoff } from './retention.ts';

export interface WriterOptions {
  flushDelayMs: number;
  /** Beyond this many unwritten rows (a dead store), the oldest are dropped rather than growing memory. */
  maxBuffered: number;
  retentionEveryMs: number;
  /**
   * Rows per transaction. SQLite writes are synchronous: a round's batch for a full server is
   * written in chunks with the event loop free in between, so no frame waits for the whole batch.
   */
  chunkRows: number;
}

export const DEFAULT_WRITER_OPTIONS: WriterOptions = {
  flushDelayMs: 200,
  maxBuffered: 10_000,
  retentionEveryMs: 60 * 60 * 1000,
  chunkRows: 32,
};

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class DonationWriter {
  private buffer: DonatedCrop[] = [];
  private flushTimer: TimerHandle | null = null;
  private retentionTimer: TimerHandle | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private droppedValue = 0;
  private writtenValue = 0;

  constructor(
    private readonly store: DonationStore,
    private readonly retention: RetentionRules,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: WriterOptions = DEFAULT_WRITER_OPTIONS,
  ) {
    this.scheduleRetention(0);
  }

  get written(): number {
    return this.writtenValue;
  }
  /** Rows lost because the store could not take them. */
  get dropped(): number {
    return this.droppedValue;
  }
  get buffered(): number {
    return this.buffer.length;
  }

  add(crops: readonly DonatedCrop[]): void {
    if (this.closed) return;
    this.buffer.push(...crops);
    const excess = this.buffer.length - this.options.maxBuffered;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.droppedValue += excess;
      this.log.warn({ dropped: excess }, 'donation buffer full (store not keeping up); oldest crops dropped');
    }
    if (!this.flushTimer) this.flushTimer = this.clock.setTimeout(() => void this.flush(), this.options.flushDelayMs);
  }

  /** Removes a donor's unwritten rows; returns how many. */
  dropDonor(donorId: string): number {
    const before = this.buffer.length;
    this.buffer = this.buffer.filter((c) => c.donorId !== donorId);
    return before - this.buffer.length;
  }

  /** Resolves when the batch being written (if any) is in the store. */
  idle(): Promise<void> {
    return this.writing;
  }

  /** Writes what is buffered (one transaction), then applies retention. */
  flush(): Promise<void> {
    if (this.flushTimer) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      const chunk = Math.max(1, this.options.chunkRows);
      for (let i = 0; i < batch.length; i += chunk) {
        if (i > 0) await yieldToEventLoop();
        const rows = batch.slice(i, i + chunk);
        try {
          await this.store.addCrops(rows);
          this.writtenValue += rows.length;
        } catch (err) {
          this.droppedValue += batch.length - i;
          this.log.error({ err, crops: batch.length - i }, 'could not store donated crops; they are dropped');
          return;
        }
      }
      await this.enforceRetention();
    });
    return this.writing;
  }

  /** Deletes crops past the maximum age and the oldest beyond the maximum count. */
  async enforceRetention(): Promise<{ byAge: number; bySize: number }> {
    try {
      const byAge = await this.store.deleteDonatedBefore(retentionCutoff(this.clock.now(), this.retention));
      const bySize = await this.store.keepNewest(this.retention.maxCrops);
      if (byAge + bySize > 0) this.log.info({ byAge, bySize }, 'donation retention deleted crops');
      return { byAge, bySize };
    } catch (err) {
      this.log.error({ err }, 'donation retention failed; will retry');
      return { byAge: 0, bySize: 0 };
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.retentionTimer) this.clock.clearTimeout(this.retentionTimer);
    this.retentionTimer = null;
  }

  private scheduleRetention(delayMs: number): void {
    this.retentionTimer = this.clock.setTimeout(() => {
      void this.enforceRetention().finally(() => {
        if (!this.closed) this.scheduleRetention(this.options.retentionEveryMs);
      });
    }, delayMs);
  }
}
