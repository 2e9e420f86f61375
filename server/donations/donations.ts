/**
 * Frame donation, as the server runs it: consent per connection, the collector that picks
 * crops as rounds end, the batched writer with retention, and deletion by token. The socket
 * adapter (server/net/donation-handlers.ts) and the frame path call only this.
 */
import type { DonationConsentResult } from '../../shared/donations.ts';
import type { RoundResults } from '../../shared/protocol.ts';
import type { Clock, TimerHandle } from '../game/clock.ts';
import { DEFAULT_SCORING } from '../game/scoring.ts';
import type { Logger } from '../logging.ts';
import type { DonationStore } from '../store/donation-types.ts';
import type { SelectionRules } from './crop-selection.ts';
import { DonationCollector, type FrameScore, type ScoredFrame } from './donation-collector.ts';
import { DEFAULT_WRITER_OPTIONS, DonationWriter, type WriterOptions } from './donation-writer.ts';
import { donorIdFromToken } from './donor-id.ts';
import { DEFAULT_RETENTION, type RetentionRules } from './retention.ts';

export const DEFAULT_SELECTION: SelectionRules = {
  holdMs: DEFAULT_SCORING.holdMs,
  maxGapMs: DEFAULT_SCORING.maxGapMs,
  maxPeakCrops: 5,
};

/** Rounds whose room vanished without round results are forgotten after this long without frames. */
const ABANDONED_ROUND_MS = 5 * 60 * 1000;

export interface DonationsDeps {
  store: DonationStore;
  clock: Clock;
  log: Logger;
  /** The served model's version, read when a donor's round starts. */
  modelVersion: () => string;
  retention?: RetentionRules;
  selection?: SelectionRules;
  writer?: Partial<WriterOptions>;
}

export class Donations {
  readonly store: DonationStore;
  private readonly collector: DonationCollector;
  private readonly writer: DonationWriter;
  private sweepTimer: TimerHandle | null = null;

  constructor(private readonly deps: DonationsDeps) {
    this.store = deps.store;
    this.writer = new DonationWriter(deps.store, deps.retention ?? DEFAULT_RETENTION, deps.clock, deps.log, {
      ...DEFAULT_WRITER_OPTIONS,
      ...deps.writer,
    });
    this.collector = new DonationCollector({
      clock: deps.clock,
      rules: deps.selection ?? DEFAULT_SELECTION,
      modelVersion: deps.modelVersion,
      sink: (crops) => this.writer.add(crops),
    });
    this.scheduleSweep();
  }

  consent(socketId: string, token: string, on: boolean): DonationConsentResult {
    const donorId = this.collector.consent(socketId, token, on);
    return { donating: donorId !== null, donorId };
  }

  forgetSocket(socketId: string): void {
    this.collector.forgetSocket(socketId);
  }

  frameScored(frame: ScoredFrame, score: FrameScore, probabilities: ArrayLike<number>, roundStartedAt: number): void {
    this.collector.frameScored(frame, score, probabilities, roundStartedAt);
  }

  roundEnded(roomCode: string, results: RoundResults): void {
    this.collector.roundEnded(roomCode, results);
  }

  /** Deletes everything donated under this token: stored, buffered and still being collected. */
  async deleteByToken(token: string): Promise<number> {
    const donorId = donorIdFromToken(token);
    this.collector.forgetDonor(donorId);
    const buffered = this.writer.dropDonor(donorId);
    await this.writer.idle();
    const stored = await this.store.deleteDonor(donorId);
    this.deps.log.info({ donor: donorId, deleted: stored + buffered }, 'donor deleted their donations');
    return stored + buffered;
  }

  /** Writes what is pending now (tests, shutdown). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  get stats(): { written: number; dropped: number; buffered: number } {
    return { written: this.writer.written, dropped: this.writer.dropped, buffered: this.writer.buffered };
  }

  /** Flushes pending crops and stops timers; the store is closed by its owner. */
  async close(): Promise<void> {
    if (this.sweepTimer) this.deps.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    await this.writer.close();
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.deps.clock.setTimeout(() => {
      this.collector.sweep(ABANDONED_ROUND_MS);
      this.scheduleSweep();
    }, ABANDONED_ROUND_MS);
  }
}
