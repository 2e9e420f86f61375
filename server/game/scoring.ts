/**
 * Server-authoritative scoring of one player in one round (see docs/scoring.md).
 * Input: the model's probability of the prompted emotion for each frame, stamped
 * with the server's receive time. Output: a live meter and the round's points.
 */
export interface ScoringRules {
  /** The live meter is the mean probability over this trailing window. */
  smoothingMs: number;
  /** The peak only counts once the meter has stayed at or above it this long. */
  holdMs: number;
  /** A longer gap between counted frames breaks a hold. */
  maxGapMs: number;
  /** Points for a held peak of 1.0. */
  maxPoints: number;
  /** Speed bonus for reaching `speedThreshold` (held) at the very start of the round; falls linearly to 0. */
  speedBonusMax: number;
  speedThreshold: number;
  /** Byte-identical frames for longer than this in a row do not count (replayed still image). */
  stillMs: number;
}

export const DEFAULT_SCORING: ScoringRules = {
  smoothingMs: 1000,
  holdMs: 1000,
  maxGapMs: 700,
  maxPoints: 1000,
  speedBonusMax: 100,
  speedThreshold: 0.5,
  stillMs: 2000,
};

export interface RoundScore {
  points: number;
  /** Best smoothed probability held for `holdMs`, 0..1. */
  peak: number;
  /** Time (ms since round start) when the held meter first reached the speed threshold, or null. */
  reachedAfterMs: number | null;
}

interface Sample {
  t: number;
  v: number;
}

export class RoundScorer {
  private window: Sample[] = [];
  private run: Sample[] = [];
  private lastCountedAt: number | null = null;
  private peakHeld = 0;
  private reachedAt: number | null = null;
  private currentMeter = 0;

  constructor(
    private readonly rules: ScoringRules,
    private readonly roundStart: number,
    private readonly roundMs: number,
  ) {}

  /** The live (smoothed) match, 0..1. */
  get meter(): number {
    return this.currentMeter;
  }

  get peak(): number {
    return this.peakHeld;
  }

  /**
   * Adds one frame's probability of the prompt at server time `t`. An uncounted frame
   * (replayed still image) empties the meter and breaks any hold. Returns the meter.
   */
  add(t: number, probability: number, counted: boolean): number {
    if (!counted || !Number.isFinite(probability)) {
      this.window = [];
      this.run = [];
      this.lastCountedAt = null;
      this.currentMeter = 0;
      return 0;
    }
    const p = Math.min(1, Math.max(0, probability));
    if (this.lastCountedAt !== null && t - this.lastCountedAt > this.rules.maxGapMs) {
      this.run = [];
      this.window = [];
    }
    this.lastCountedAt = t;

    this.window.push({ t, v: p });
    while (this.window.length > 0 && (this.window[0] as Sample).t <= t - this.rules.smoothingMs) this.window.shift();
    this.currentMeter = this.window.reduce((s, x) => s + x.v, 0) / this.window.length;

    this.run.push({ t, v: this.currentMeter });
    const boundary = t - this.rules.holdMs;
    while (this.run.length > 1 && (this.run[1] as Sample).t <= boundary) this.run.shift();
    if ((this.run[0] as Sample).t <= boundary) {
      let held = 1;
      for (const s of this.run) held = Math.min(held, s.v);
      if (held > this.peakHeld) this.peakHeld = held;
      if (this.reachedAt === null && held >= this.rules.speedThreshold) this.reachedAt = t;
    }
    return this.currentMeter;
  }

  result(): RoundScore {
    const reachedAfterMs = this.reachedAt === null ? null : Math.max(0, this.reachedAt - this.roundStart);
    const speed =
      reachedAfterMs === null
        ? 0
        : this.rules.speedBonusMax * Math.max(0, 1 - reachedAfterMs / Math.max(1, this.roundMs));
    return {
      points: Math.round(this.rules.maxPoints * this.peakHeld + speed),
      peak: this.peakHeld,
      reachedAfterMs,
    };
  }
}

/** Flags a replayed still image: frames byte-identical to the previous one for longer than `stillMs`. */
export class StillFrameDetector {
  private previous: Uint8Array | null = null;
  private identicalSince: number | null = null;
  private previousAt = 0;

  constructor(private readonly stillMs: number) {}

  /** Returns true when the frame counts (is not part of a still replay longer than stillMs). */
  check(frame: Uint8Array, t: number): boolean {
    const same = this.previous !== null && bytesEqual(this.previous, frame);
    if (same) {
      if (this.identicalSince === null) this.identicalSince = this.previousAt;
    } else {
      this.identicalSince = null;
      this.previous = Uint8Array.from(frame);
    }
    this.previousAt = t;
    return this.identicalSince === null || t - this.identicalSince <= this.stillMs;
  }

  reset(): void {
    this.previous = null;
    this.identicalSince = null;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
