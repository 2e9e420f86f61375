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
 * copies would not. measureReplay is synchronous, so no two frames use them at once.
 */
const motionScratch = {
  motionBasis: new Float64Array(3 * LAYOUT_GRID * LAYOUT_GRID),
  gramInverse: new Float64Array(9),
};

/**
 * A frame's place in its player's window, taken when the frame arrives (ReplayDetector.probe):
 * its id, its server time, and the layouts (with their ids) of the frames it is compared with.
 * A snapshot: frames measured meanwhile do not change it.
 */
export interface ReplayProbe {
  readonly frameId: number;
  readonly t: number;
  readonly earlier: readonly EarlierLayout[];
  readonly earlierIds: readonly number[];
}

/**
 * What the check computes for one frame against its probe's earlier layouts: the frame's own
 * layout cells (they join the window) and its motion distance to each earlier layout. Pure
 * arithmetic on bytes (measureReplay): it can run wherever the frame is, e.g. in the inference
 * worker that already holds the crop (server/ml/engine/engine-worker.ts), off the main thread.
 */
export interface ReplayMeasure {
  readonly cells: Float32Array;
  readonly textured: boolean;
  /** distances[k]: motion distance to probe.earlier[k]. */
  readonly distances: ArrayLike<number>;
}

/**
 * frameLayout + motionDistances of one frame against `earlier`: the check's whole arithmetic.
 * `cells` / `distances`: storage to fill instead of allocating (used when the sizes fit).
 */
export function measureReplay(
  frame: Uint8Array,
  earlier: readonly EarlierLayout[],
  into?: { cells?: Float32Array | undefined; distances?: Float64Array | undefined },
): ReplayMeasure {
  const layout = frameLayout(frame, LAYOUT_GRID, {
    cells: into?.cells,
    motionBasis: motionScratch.motionBasis,
    gramInverse: motionScratch.gramInverse,
  });
  const distances =
    into?.distances && into.distances.length >= earlier.length ? into.distances : new Float64Array(earlier.length);
  motionDistances(layout, earlier, distances);
  return { cells: layout.cells, textured: layout.textured, distances };
}

/**
 * One player's window in one round. check() does it all at once; the server splits it in three
 * so the arithmetic can ride along with inference: probe() when the frame arrives (main thread,
 * cheap), measureReplay() wherever the crop is, complete() when the measure comes back (main
 * thread, cheap). The window holds the frames that were completed, in time order; a frame
 * still being measured is not in a later frame's probe (two frames in flight together are not
 * compared with each other; each is compared with everything completed before it, so a
 * repeated picture is still caught on its next showing).
 */
export class ReplayDetector {
  // The window, oldest first, as parallel arrays (motionDistances takes the layouts as they are).
  private ids: number[] = [];
  private times: number[] = [];
  private layouts: EarlierLayout[] = [];
  /** The current frame's distance to each layout of the window; scratch for check(), grown to the largest window. */
  private distances: Float64Array = new Float64Array(0);
  /** Cells of the latest frame to leave the window, for frameLayout to reuse. */
  private spareCells: Float32Array | undefined;
  private nextId = 0;
  /** check() is in use: every layout in the window is an array of this detector's own. */
  private measuresHere = false;

  constructor(private readonly rules: LivenessRules = DEFAULT_LIVENESS) {}

  /** All of the check at once, here (tests and tools; the server uses probe / complete). */
  check(frame: Uint8Array, t: number): LivenessVerdict {
    this.measuresHere = true;
    const probe = this.probe(t);
    const m = measureReplay(frame, probe.earlier, { cells: this.spareCells, distances: this.distances });
    this.spareCells = undefined;
    this.distances = m.distances as Float64Array;
    return this.complete(probe, m);
  }

  /** A frame arrived at server time `t`: its id and what it is to be compared with. */
  probe(t: number): ReplayProbe {
    this.expire(t);
    return { frameId: this.nextId++, t, earlier: this.layouts.slice(), earlierIds: this.ids.slice() };
  }

  /** The measure of a probed frame: the verdict, and the frame joins the window. */
  complete(probe: ReplayProbe, measure: ReplayMeasure): LivenessVerdict {
    const copies: number[] = [];
    const n = Math.min(probe.earlier.length, measure.distances.length);
    for (let k = 0; k < n; k++) {
      if ((measure.distances[k] as number) < this.rules.minMotion) copies.push(probe.earlierIds[k] as number);
    }
    this.expire(probe.t);
    // Usually the newest: frames are measured in about the order they arrive.
    let at = this.times.length;
    while (at > 0 && (this.times[at - 1] as number) > probe.t) at--;
    if (at === 0 && this.times.length >= this.rules.maxFrames) {
      // Older than everything in a full window: it would leave it at once.
      return { frameId: probe.frameId, replay: copies.length > 0, copies };
    }
    // Only the cells are kept: the motion model in the scratch arrays is the next frame's.
    const layout = { cells: measure.cells, textured: measure.textured };
    if (at === this.times.length) {
      this.ids.push(probe.frameId);
      this.times.push(probe.t);
      this.layouts.push(layout);
    } else {
      this.ids.splice(at, 0, probe.frameId);
      this.times.splice(at, 0, probe.t);
      this.layouts.splice(at, 0, layout);
    }
    if (this.ids.length > this.rules.maxFrames) this.dropOldest();
    return { frameId: probe.frameId, replay: copies.length > 0, copies };
  }

  /** A new round: nothing seen yet. */
  reset(): void {
    this.ids = [];
    this.times = [];
    this.layouts = [];
    this.nextId = 0;
  }

  private expire(t: number): void {
    const oldest = t - this.rules.windowMs;
    while (this.times.length > 0 && (this.times[0] as number) < oldest) this.dropOldest();
  }

  private dropOldest(): void {
    this.ids.shift();
    this.times.shift();
    const cells = this.layouts.shift()?.cells;
    // Only check() reuses cells, and only its own: cells measured elsewhere may be a view of
    // shared memory that gets written again (server/ml/engine/layout-ring.ts).
    if (this.measuresHere) this.spareCells = cells;
  }
}
