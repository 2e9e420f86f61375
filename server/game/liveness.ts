/**
 * Replay detection for one player in one round (docs/scoring.md, "Liveness"). A frame is a
 * replay when it is a copy — up to noise, flipped bits, brightness and contrast — of another
 * frame the player sent within `windowMs` before it: a camera watching a live face never
 * sends the same picture twice, while a replayed still, two or three pictures in turn, or a
 * short looped clip all do. The earlier frame it copies is a replay too (it was the first
 * showing of the same picture), so the detector names it for revocation. Pure: frames and
 * server times in, verdicts out.
 */
import { type EarlierLayout, frameLayout, LAYOUT_GRID, motionDistances } from './liveness-features.ts';

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

/**
 * The motion basis and Gram inverse of the frame being checked. Only that frame's are ever
 * read (motionDistance fits the change onto the newer frame's gradients), so every detector
 * computes them into this one pair of arrays: they stay in cache, where 450 players' own
 * copies would not. check() is synchronous, so no two frames use them at once.
 */
const motionScratch = {
  motionBasis: new Float64Array(3 * LAYOUT_GRID * LAYOUT_GRID),
  gramInverse: new Float64Array(9),
};

export class ReplayDetector {
  // The window, oldest first, as parallel arrays (motionDistances takes the layouts as they are).
  private ids: number[] = [];
  private times: number[] = [];
  private layouts: EarlierLayout[] = [];
  /** The current frame's distance to each layout of the window; scratch, grown to the largest window. */
  private distances = new Float64Array(0);
  /** Cells of the latest frame to leave the window, for frameLayout to reuse. */
  private spareCells: Float32Array | undefined;
  private nextId = 0;

  constructor(private readonly rules: LivenessRules = DEFAULT_LIVENESS) {}

  check(frame: Uint8Array, t: number): LivenessVerdict {
    const oldest = t - this.rules.windowMs;
    while (this.times.length > 0 && (this.times[0] as number) < oldest) this.dropOldest();
    const layout = frameLayout(frame, LAYOUT_GRID, {
      cells: this.spareCells,
      motionBasis: motionScratch.motionBasis,
      gramInverse: motionScratch.gramInverse,
    });
    this.spareCells = undefined;
    const window = this.layouts.length;
    if (this.distances.length < window) this.distances = new Float64Array(window);
    motionDistances(layout, this.layouts, this.distances);
    const copies: number[] = [];
    for (let k = 0; k < window; k++) {
      if ((this.distances[k] as number) < this.rules.minMotion) copies.push(this.ids[k] as number);
    }
    const frameId = this.nextId++;
    this.ids.push(frameId);
    this.times.push(t);
    // Only the cells are kept: the motion model in the scratch arrays is the next frame's.
    this.layouts.push({ cells: layout.cells, textured: layout.textured });
    if (this.ids.length > this.rules.maxFrames) this.dropOldest();
    return { frameId, replay: copies.length > 0, copies };
  }

  /** A new round: nothing seen yet. */
  reset(): void {
    this.ids = [];
    this.times = [];
    this.layouts = [];
    this.nextId = 0;
  }

  private dropOldest(): void {
    this.ids.shift();
    this.times.shift();
    this.spareCells = this.layouts.shift()?.cells;
  }
}
