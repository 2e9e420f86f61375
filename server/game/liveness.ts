/**
 * Replay detection for one player in one round (docs/scoring.md, "Liveness"). A frame is a
 * replay when it is a copy — up to noise, flipped bits, brightness and contrast — of another
 * frame the player sent within `windowMs` before it: a camera watching a live face never
 * sends the same picture twice, while a replayed still, two or three pictures in turn, or a
 * short looped clip all do. The earlier frame it copies is a replay too (it was the first
 * showing of the same picture), so the detector names it for revocation. Pure: frames and
 * server times in, verdicts out.
 */
import { type FrameLayout, frameLayout, motionDistance } from './liveness-features.ts';

export interface LivenessRules {
  /** A frame is compared with every frame received this long before it. */
  windowMs: number;
  /**
   * Two frames whose difference has less motion in it than this (RMS, in standard
   * deviations of the frame; see motionDistance) show the same picture.
   */
  minMotion: number;
  /** At most this many earlier frames are kept, whatever the send rate. */
  maxFrames: number;
}

/**
 * Measured on recorded browser crops, camera-like sequences and replays (scripts/liveness/
 * measure.ts, figures in docs/scoring.md): replays of one picture with noise up to σ = 8
 * grey levels stay below 0.015; camera-like live frames have p5 = 0.018 and p50 = 0.055.
 */
export const DEFAULT_LIVENESS: LivenessRules = {
  windowMs: 3000,
  minMotion: 0.015,
  maxFrames: 40,
};

export interface LivenessVerdict {
  /** Id of this frame in the round (0, 1, 2 …), for later revocation. */
  frameId: number;
  /** True when the frame copies an earlier frame of the window. */
  replay: boolean;
  /** Ids of earlier frames this one copies: they showed the same picture and are replays too. */
  copies: number[];
}

interface Seen {
  id: number;
  t: number;
  layout: FrameLayout;
}

export class ReplayDetector {
  private seen: Seen[] = [];
  private nextId = 0;

  constructor(private readonly rules: LivenessRules = DEFAULT_LIVENESS) {}

  check(frame: Uint8Array, t: number): LivenessVerdict {
    const layout = frameLayout(frame);
    while (this.seen.length > 0 && (this.seen[0] as Seen).t < t - this.rules.windowMs) this.seen.shift();
    const copies: number[] = [];
    for (const s of this.seen) {
      if (motionDistance(layout, s.layout) < this.rules.minMotion) copies.push(s.id);
    }
    const frameId = this.nextId++;
    this.seen.push({ id: frameId, t, layout });
    if (this.seen.length > this.rules.maxFrames) this.seen.shift();
    return { frameId, replay: copies.length > 0, copies };
  }

  /** A new round: nothing seen yet. */
  reset(): void {
    this.seen = [];
    this.nextId = 0;
  }
}
