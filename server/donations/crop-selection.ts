/**
 * Which of a donor's crops in one round are worth keeping: the frames that built the
 * round's held peak (where the face most likely shows the prompt), at most a few, plus the
 * first counted crop of the round for balance. Pure and streaming: it holds only the
 * current hold window and the best one so far, never the whole round.
 *
 * The hold follows docs/scoring.md on the scorer's own meter values: the held level at a
 * frame is the lowest meter over the last `holdMs`; a gap longer than `maxGapMs` or an
 * uncounted frame (replayed still image) restarts the hold, and uncounted frames are
 * never donated.
 */

export interface ScoredCrop {
  msIntoRound: number;
  pixels: Uint8Array;
  /** The model's 7 probabilities (kept by reference; copied only for the crops selected). */
  probabilities: ArrayLike<number>;
  /** The model's probability of the prompt for this crop. */
  match: number;
  /** The player's live meter after this crop (the scorer's smoothed match). */
  meter: number;
  counted: boolean;
}

export interface SelectionRules {
  holdMs: number;
  maxGapMs: number;
  /** At most this many crops from the peak's hold window. */
  maxPeakCrops: number;
}

export type SelectedKind = 'peak' | 'early';

export interface SelectedCrop extends ScoredCrop {
  kind: SelectedKind;
}

/**
 * When the room reports a lower peak than the selector saw, the room revoked it (frames
 * found to be a replay): the round's crops are not trustworthy and nothing is donated.
 * Results carry the peak rounded to 0.001, hence the tolerance.
 */
const REVOKED_TOLERANCE = 0.01;

export class RoundCropSelector {
  private early: ScoredCrop | null = null;
  private run: ScoredCrop[] = [];
  private lastAt: number | null = null;
  private bestHeld = 0;
  private bestWindow: ScoredCrop[] = [];

  constructor(private readonly rules: SelectionRules) {}

  /** The best held meter seen so far, 0..1 (0 until a hold of `holdMs` completes). */
  get peak(): number {
    return this.bestHeld;
  }

  add(crop: ScoredCrop): void {
    if (!crop.counted || !Number.isFinite(crop.meter)) {
      this.run = [];
      this.lastAt = null;
      return;
    }
    if (this.early === null) this.early = crop;
    if (this.lastAt !== null && crop.msIntoRound - this.lastAt > this.rules.maxGapMs) this.run = [];
    this.lastAt = crop.msIntoRound;
    this.run.push(crop);
    const boundary = crop.msIntoRound - this.rules.holdMs;
    while (this.run.length > 1 && (this.run[1] as ScoredCrop).msIntoRound <= boundary) this.run.shift();
    if ((this.run[0] as ScoredCrop).msIntoRound > boundary) return;
    let held = 1;
    for (const c of this.run) held = Math.min(held, c.meter);
    if (held > this.bestHeld) {
      this.bestHeld = held;
      this.bestWindow = [...this.run];
    }
  }

  /**
   * The crops to donate, in round order. `roomPeak` is the peak the room scored for this
   * player in this round (round results); a lower one means the peak was revoked.
   */
  result(roomPeak: number): SelectedCrop[] {
    if (roomPeak + REVOKED_TOLERANCE < this.bestHeld) return [];
    const peak = [...this.bestWindow]
      .sort((a, b) => b.match - a.match || a.msIntoRound - b.msIntoRound)
      .slice(0, Math.max(0, this.rules.maxPeakCrops));
    const out: SelectedCrop[] = peak.map((c) => ({ ...c, kind: 'peak' }));
    if (this.early && !peak.includes(this.early)) out.push({ ...this.early, kind: 'early' });
    return out.sort((a, b) => a.msIntoRound - b.msIntoRound);
  }
}
