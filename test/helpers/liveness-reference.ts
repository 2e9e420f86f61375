/**
 * The liveness features and replay check as they were before they were made fast
 * (server/game/liveness-features.ts and liveness.ts at f5f1800), kept verbatim apart from the
 * names: the replay thresholds were measured with these numbers, so the fast code is tested
 * against them (test/unit/game/liveness-features.test.ts) and benchmarked against them
 * (bench/bench-liveness.ts). Test and tool code only; the server must not import it.
 */

import { DEFAULT_LIVENESS, type LivenessRules, type LivenessVerdict } from '../../server/game/liveness.ts';
import { LAYOUT_GRID } from '../../server/game/liveness-features.ts';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../../shared/frame.ts';

/** Frames whose pixel spread is below this (grey levels) carry no face: blank, covered lens. */
const MIN_SPREAD = 2;

export interface ReferenceLayout {
  /** LAYOUT_GRID² block means in units of the frame's standard deviation (zero mean). */
  readonly cells: Float32Array;
  /** False for a (near) uniform frame, whose layout is meaningless. */
  readonly textured: boolean;
  /** Horizontal, vertical and radial gradients of the cells: how the layout changes when the picture shifts or zooms. */
  readonly motionBasis: readonly [Float64Array, Float64Array, Float64Array];
  /** Inverse of the basis' Gram matrix (row-major 3×3), for least-squares fits onto it; zeros when singular. */
  readonly gramInverse: Float64Array;
}

export function referenceFrameLayout(frame: Uint8Array, grid = LAYOUT_GRID): ReferenceLayout {
  const cells = new Float32Array(grid * grid);
  // Cell of every column and row, computed once per call instead of per pixel.
  const colCell = new Int32Array(FRAME_WIDTH);
  for (let x = 0; x < FRAME_WIDTH; x++) colCell[x] = Math.min(grid - 1, Math.floor((x * grid) / FRAME_WIDTH));
  let sum = 0;
  let sumSq = 0;
  for (let y = 0; y < FRAME_HEIGHT; y++) {
    const rowBase = Math.min(grid - 1, Math.floor((y * grid) / FRAME_HEIGHT)) * grid;
    const offset = y * FRAME_WIDTH;
    for (let x = 0; x < FRAME_WIDTH; x++) {
      const v = frame[offset + x] as number;
      sum += v;
      sumSq += v * v;
      const c = rowBase + (colCell[x] as number);
      cells[c] = (cells[c] as number) + v;
    }
  }
  const n = FRAME_WIDTH * FRAME_HEIGHT;
  const mean = sum / n;
  const spread = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  if (spread < MIN_SPREAD) return { cells: cells.fill(0), textured: false, ...motionModel(cells, grid) };
  const perCell = n / (grid * grid);
  for (let i = 0; i < cells.length; i++) cells[i] = ((cells[i] as number) / perCell - mean) / spread;
  return { cells, textured: true, ...motionModel(cells, grid) };
}

function motionModel(cells: Float32Array, g: number): Pick<ReferenceLayout, 'motionBasis' | 'gramInverse'> {
  const n = g * g;
  const gx = new Float64Array(n);
  const gy = new Float64Array(n);
  const gr = new Float64Array(n);
  const at = (x: number, y: number) => cells[y * g + x] as number;
  const c = (g - 1) / 2;
  for (let y = 0; y < g; y++) {
    for (let x = 0; x < g; x++) {
      const i = y * g + x;
      const dx = (at(Math.min(g - 1, x + 1), y) - at(Math.max(0, x - 1), y)) / (x === 0 || x === g - 1 ? 1 : 2);
      const dy = (at(x, Math.min(g - 1, y + 1)) - at(x, Math.max(0, y - 1))) / (y === 0 || y === g - 1 ? 1 : 2);
      gx[i] = dx;
      gy[i] = dy;
      gr[i] = (x - c) * dx + (y - c) * dy;
    }
  }
  const basis: [Float64Array, Float64Array, Float64Array] = [gx, gy, gr];
  const gram = new Float64Array(9);
  for (let p = 0; p < 3; p++)
    for (let q = 0; q < 3; q++) gram[p * 3 + q] = dot(basis[p] as Float64Array, basis[q] as Float64Array);
  return { motionBasis: basis, gramInverse: invert3(gram) };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function invert3(m: Float64Array): Float64Array {
  const a = m[0] as number;
  const b = m[1] as number;
  const c = m[2] as number;
  const d = m[3] as number;
  const e = m[4] as number;
  const f = m[5] as number;
  const g = m[6] as number;
  const h = m[7] as number;
  const i = m[8] as number;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  const out = new Float64Array(9);
  if (Math.abs(det) < 1e-9) return out;
  const inv = [
    A,
    -(b * i - c * h),
    b * f - c * e,
    B,
    a * i - c * g,
    -(a * f - c * d),
    C,
    -(a * h - b * g),
    a * e - b * d,
  ];
  for (let k = 0; k < 9; k++) out[k] = (inv[k] as number) / det;
  return out;
}

/**
 * The part of the change from `earlier` to `frame` that motion explains: the difference is
 * fitted, least squares, by the newer layout's horizontal, vertical and radial gradients (a
 * shift and a zoom of the same picture, to first order), and the result is the RMS of that
 * fit in standard deviations of the frame. Noise added to a replayed picture is spread
 * evenly over the cells, so only a sliver of it (3 directions out of LAYOUT_GRID²) lies
 * along the fit; a face moving in front of a camera puts most of its change there.
 */
export function referenceMotionDistance(frame: ReferenceLayout, earlier: ReferenceLayout): number {
  if (!frame.textured || !earlier.textured) return frame.textured === earlier.textured ? 0 : Number.POSITIVE_INFINITY;
  const cells = frame.cells;
  const before = earlier.cells;
  const [bx, by, br] = frame.motionBasis;
  const n = cells.length;
  let v0 = 0;
  let v1 = 0;
  let v2 = 0;
  for (let i = 0; i < n; i++) {
    const d = (cells[i] as number) - (before[i] as number);
    v0 += (bx[i] as number) * d;
    v1 += (by[i] as number) * d;
    v2 += (br[i] as number) * d;
  }
  const m = frame.gramInverse;
  const energy =
    v0 * ((m[0] as number) * v0 + (m[1] as number) * v1 + (m[2] as number) * v2) +
    v1 * ((m[3] as number) * v0 + (m[4] as number) * v1 + (m[5] as number) * v2) +
    v2 * ((m[6] as number) * v0 + (m[7] as number) * v1 + (m[8] as number) * v2);
  return Math.sqrt(Math.max(0, energy) / n);
}

interface Seen {
  id: number;
  t: number;
  layout: ReferenceLayout;
}

export class ReferenceReplayDetector {
  private seen: Seen[] = [];
  private nextId = 0;

  constructor(private readonly rules: LivenessRules = DEFAULT_LIVENESS) {}

  check(frame: Uint8Array, t: number): LivenessVerdict {
    const layout = referenceFrameLayout(frame);
    while (this.seen.length > 0 && (this.seen[0] as Seen).t < t - this.rules.windowMs) this.seen.shift();
    const copies: number[] = [];
    for (const s of this.seen) {
      if (referenceMotionDistance(layout, s.layout) < this.rules.minMotion) copies.push(s.id);
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
