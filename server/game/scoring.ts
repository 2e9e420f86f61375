/**
 * Server-authoritative scoring of one player in one round (see docs/scoring.md).
 * Input: the model's probability of the prompted emotion for each frame, stamped
 * with the server's receive time, and the replay verdicts of the liveness check
 * (liveness.ts). Output: a live meter and the round's points. Replay frames never
 * count, and a frame found out later (a copy of it arrived) is revoked: the round's
 * points are computed at the end from the frames that are still live.
 */
import { DEFAULT_LIVENESS, type LivenessRules } from './liveness.ts';
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
  /** Which frames are replays (copies of another recent frame) and never count. */
  liveness: LivenessRules;
}

export const DEFAULT_SCORING: ScoringRules = {
  smoothingMs: 1000,
  holdMs: 1000,
  maxGapMs: 700,
  maxPoints: 1000,
  speedBonusMax: 100,
  speedThreshold: 0.5,
  liveness: DEFAULT_LIVENESS,
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

/** One scored frame of the round; `live` turns false when the frame is found to be a replay. */
interface FrameEntry {
  t: number;
  p: number;
  live: boolean;
  /** A break in play (disconnect, unreadable output): the hold restarts here. */
  breaks: boolean;
}

/** The hold rule over a sequence of live frames: best meter held for holdMs, and when the speed threshold was first held. */
class HoldTracker {
  private window: Sample[] = [];
  private run: Sample[] = [];
  private lastAt: number | null = null;
  peak = 0;
  reachedAt: number | null = null;
  meter = 0;

  constructor(private readonly rules: ScoringRules) {}

  restart(): void {
    this.window = [];
    this.run = [];
    this.lastAt = null;
    this.meter = 0;
  }

  add(t: number, p: number): void {
    if (this.lastAt !== null && t - this.lastAt > this.rules.maxGapMs) {
      this.run = [];
      this.window = [];
    }
    this.lastAt = t;
    this.window.push({ t, v: p });
    while (this.window.length > 0 && (this.window[0] as Sample).t <= t - this.rules.smoothingMs) this.window.shift();
    this.meter = this.window.reduce((s, x) => s + x.v, 0) / this.window.length;
    this.run.push({ t, v: this.meter });
    const boundary = t - this.rules.holdMs;
    while (this.run.length > 1 && (this.run[1] as Sample).t <= boundary) this.run.shift();
    if ((this.run[0] as Sample).t <= boundary) {
      let held = 1;
      for (const s of this.run) held = Math.min(held, s.v);
      if (held > this.peak) this.peak = held;
      if (this.reachedAt === null && held >= this.rules.speedThreshold) this.reachedAt = t;
    }
  }
}

export class RoundScorer {
  private readonly frames = new Map<number, FrameEntry>();
  /**
   * The same entries in time order (ties in arrival order), so that the meter reads only the
   * trailing window instead of every frame of the round: the meter is updated for each scored
   * frame, and a scan of the whole round made it O(frames²) per round on the main thread.
   */
  private readonly byTime: FrameEntry[] = [];
  /** Time of the latest break in play (frames before it never count towards the meter). */
  private lastBreakAt = Number.NEGATIVE_INFINITY;
  /** Frames revoked before their model output arrived. */
  private readonly revokedEarly = new Set<number>();
  private nextBreakId = -1;
  private currentMeter = 0;

  constructor(
    private readonly rules: ScoringRules,
    private readonly roundStart: number,
    private readonly roundMs: number,
  ) {}

  /** The live (smoothed) match over the live frames of the last `smoothingMs`, 0..1. */
  get meter(): number {
    return this.currentMeter;
  }

  /**
   * Adds one frame's probability of the prompt at server time `t`. `frameId` is the
   * liveness check's id for the frame; `live` false marks a replay (it never counts), and
   * a non-finite probability or `live` null (a break in play) restarts any hold. Returns the meter.
   */
  add(t: number, probability: number, live: boolean | null, frameId: number = this.nextBreakId--): number {
    const breaks = live === null || !Number.isFinite(probability);
    const p = breaks ? 0 : Math.min(1, Math.max(0, probability));
    const entry: FrameEntry = { t, p, live: live === true && !breaks && !this.revokedEarly.has(frameId), breaks };
    const replaced = this.frames.get(frameId);
    this.frames.set(frameId, entry);
    if (replaced) this.forget(replaced);
    this.insertByTime(entry);
    if (breaks && t > this.lastBreakAt) this.lastBreakAt = t;
    this.updateMeter(t);
    return this.currentMeter;
  }

  /** A break in play at `t` (the player dropped): the meter empties and any hold restarts. */
  interrupt(t: number): void {
    this.add(t, 0, null);
  }

  /** The frames `ids` turned out to be replays: they stop counting, now and for the round's result. */
  revoke(ids: readonly number[], now: number): void {
    for (const id of ids) {
      const f = this.frames.get(id);
      if (f) f.live = false;
      else this.revokedEarly.add(id);
    }
    if (ids.length > 0) this.updateMeter(now);
  }

  /** Points from the frames still live at the end of the round. */
  result(): RoundScore {
    const hold = this.replay();
    const reachedAfterMs = hold.reachedAt === null ? null : Math.max(0, hold.reachedAt - this.roundStart);
    const speed =
      reachedAfterMs === null
        ? 0
        : this.rules.speedBonusMax * Math.max(0, 1 - reachedAfterMs / Math.max(1, this.roundMs));
    return {
      points: Math.round(this.rules.maxPoints * hold.peak + speed),
      peak: hold.peak,
      reachedAfterMs,
    };
  }

  /** Runs the hold rule over the round's live frames in time order (replays are simply absent). */
  private replay(): HoldTracker {
    const hold = new HoldTracker(this.rules);
    const ordered = [...this.frames.values()].sort((a, b) => a.t - b.t);
    for (const f of ordered) {
      if (f.breaks) hold.restart();
      else if (f.live) hold.add(f.t, f.p);
    }
    return hold;
  }

  /** Mean of the live frames in (now − smoothingMs, now] that are not before the latest break. */
  private updateMeter(now: number): void {
    let sum = 0;
    let n = 0;
    const from = now - this.rules.smoothingMs;
    for (let i = this.byTime.length - 1; i >= 0; i--) {
      const f = this.byTime[i] as FrameEntry;
      if (f.t <= from) break;
      if (!f.live || f.breaks || f.t < this.lastBreakAt || f.t > now) continue;
      sum += f.p;
      n++;
    }
    this.currentMeter = n === 0 ? 0 : sum / n;
  }

  /** Frames mostly arrive in time order, so this is almost always an append. */
  private insertByTime(entry: FrameEntry): void {
    let i = this.byTime.length;
    while (i > 0 && (this.byTime[i - 1] as FrameEntry).t > entry.t) i--;
    this.byTime.splice(i, 0, entry);
  }

  /** A frame id scored twice (not expected): the first entry leaves the time index. */
  private forget(entry: FrameEntry): void {
    this.byTime.splice(this.byTime.indexOf(entry), 1);
    this.lastBreakAt = Number.NEGATIVE_INFINITY;
    for (const f of this.byTime) if (f.breaks && f.t > this.lastBreakAt) this.lastBreakAt = f.t;
  }
}

/**
 * A model's per-emotion meter map: the meter for emotion index `emotion` given the model's
 * probability of it (server/ml/engine/calibration.ts fits and applies it; docs/scoring.md).
 */
export type MeterMap = (emotion: number, probability: number) => number;

/**
 * Model outputs carry their model's meter map, in a symbol-keyed property of the output, rather
 * than the room holding one, so that a frame is always mapped with the model that scored it, also
 * across a hot reload. A property rather than a WeakMap entry: one is set for every frame, and
 * V8's write barrier for a WeakMap key cost more than the rest of the frame's scoring.
 */
const METER_MAP = Symbol('meterMap');
type WithMeterMap = { [METER_MAP]?: MeterMap };

/** Marks a model output (7 probabilities) with the meter map of the model that produced it. */
export function attachMeterMap<T extends ArrayLike<number> & object>(probabilities: T, map: MeterMap): T {
  (probabilities as T & WithMeterMap)[METER_MAP] = map;
  return probabilities;
}

/**
 * A frame's match for the prompted emotion: its probability, through the producing
 * model's meter map when the output carries one (applied here once, and only to the
 * prompted emotion). A non-finite probability stays as it is (the scorer treats it as a
 * break in play).
 */
export function frameMatch(probabilities: ArrayLike<number>, emotion: number): number {
  const p = Number(probabilities[emotion] ?? 0);
  const map = typeof probabilities === 'object' ? (probabilities as WithMeterMap)[METER_MAP] : undefined;
  return map && Number.isFinite(p) ? map(emotion, p) : p;
}
