/**
 * Frame features for telling a live camera from a replay (docs/scoring.md, "Liveness").
 * A frame is reduced to a coarse, contrast-normalised layout of its brightness: block means
 * over a grid, after subtracting the frame's mean and dividing by its spread. Two frames of
 * the same picture stay close whatever per-pixel noise, flipped bits or brightness and
 * contrast changes are added to them (block means average the noise away, normalising
 * removes the lighting), while a camera watching a live face moves the layout between
 * frames. Pure: bytes in, numbers out.
 */
import { FRAME_HEIGHT, FRAME_WIDTH } from '../../shared/frame.ts';

/** Cells per side of the layout grid; 48 / 12 = 4×4-pixel blocks. */
export const LAYOUT_GRID = 12;

// Module constants, not the imported bindings themselves: V8 folds these into the hot loops
// addressing (an import is a live binding it cannot fold; blockSums4 runs ~12 % slower on them).
const W = FRAME_WIDTH;
const H = FRAME_HEIGHT;

/** Frames whose pixel spread is below this (grey levels) carry no face: blank, covered lens. */
const MIN_SPREAD = 2;

export interface FrameLayout {
  /** LAYOUT_GRID² block means in units of the frame's standard deviation (zero mean). */
  readonly cells: Float32Array;
  /** False for a (near) uniform frame, whose layout is meaningless. */
  readonly textured: boolean;
  /**
   * Horizontal, vertical and radial gradients of the cells — how the layout changes when the
   * picture shifts or zooms — one after the other in one array (3 × LAYOUT_GRID²), so that
   * motionDistance's loop reads one Float64Array and a layout costs one allocation, not three.
   */
  readonly motionBasis: Float64Array;
  /** Inverse of the basis' Gram matrix (row-major 3×3), for least-squares fits onto it; zeros when singular. */
  readonly gramInverse: Float64Array;
}

/** Storage frameLayout may fill instead of allocating; any FrameLayout is one. */
export type LayoutArrays = Partial<Pick<FrameLayout, 'cells' | 'motionBasis' | 'gramInverse'>>;

/** What motionDistance needs of the earlier frame: its cells, not its motion model. */
export type EarlierLayout = Pick<FrameLayout, 'cells' | 'textured'>;

/**
 * Runs for every frame every player sends, on the main thread. The sums are integers (exact
 * in any order, and below 2³¹: 2304 · 255² ≈ 1.5e8) and every floating-point step after them
 * is the one the replay thresholds were measured with, in the same order, so the numbers are
 * those of the straightforward code (test/helpers/liveness-reference.ts) to the bit.
 *
 * `into`: arrays for the layout instead of new ones, each used when its length fits (a
 * layout the caller no longer needs fits). A typed array of these sizes lives outside the
 * JS heap and costs about as much to allocate and collect as the whole computation, so
 * ReplayDetector hands back the cells of the frames that leave its window.
 */
export function frameLayout(frame: Uint8Array, grid = LAYOUT_GRID, into?: LayoutArrays): FrameLayout {
  const cellCount = grid * grid;
  const cells = into?.cells?.length === cellCount ? into.cells : new Float32Array(cellCount);
  const motionBasis = into?.motionBasis?.length === 3 * cellCount ? into.motionBasis : new Float64Array(3 * cellCount);
  const gramInverse = into?.gramInverse?.length === 9 ? into.gramInverse : new Float64Array(9);
  const sumSq = grid === W / 4 && grid === H / 4 ? blockSums4(frame, cells) : pixelSums(frame, grid, cells);
  // The cells hold integer sums: exact in any order, so four running sums instead of one long chain.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < cellCount; i += 4) {
    s0 += cells[i] as number;
    s1 += cells[i + 1] as number;
    s2 += cells[i + 2] as number;
    s3 += cells[i + 3] as number;
  }
  for (; i < cellCount; i++) s0 += cells[i] as number;
  const sum = s0 + s1 + s2 + s3;
  const n = W * H;
  const mean = sum / n;
  const spread = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  if (spread < MIN_SPREAD) {
    // All-zero cells have zero gradients and a singular Gram matrix: nothing to compute.
    cells.fill(0);
    motionBasis.fill(0);
    gramInverse.fill(0);
    return { cells, textured: false, motionBasis, gramInverse };
  }
  const perCell = n / cellCount;
  // 16 pixels a cell on the server grid: for a power of two, × (1 / perCell) is exactly ÷ perCell
  // and a multiplication is several times cheaper than a division.
  const inverse = 1 / perCell;
  if (Number.isInteger(Math.log2(perCell))) {
    for (let i = 0; i < cellCount; i++) cells[i] = ((cells[i] as number) * inverse - mean) / spread;
  } else {
    for (let i = 0; i < cellCount; i++) cells[i] = ((cells[i] as number) / perCell - mean) / spread;
  }
  motionModel(cells, grid, motionBasis, gramInverse);
  return { cells, textured: true, motionBasis, gramInverse };
}

/**
 * The server's grid: 4×4-pixel blocks. Writes each block's pixel sum into `cells` and returns
 * the frame's sum of squares. The block is unrolled (16 loads, no cell lookup per pixel):
 * about a quarter faster than looping over its rows.
 */
function blockSums4(frame: Uint8Array, cells: Float32Array): number {
  const w = W;
  let sumSq = 0;
  let k = 0;
  for (let top = 0; top < H * w; top += 4 * w) {
    for (let p = top; p < top + w; p += 4, k++) {
      const a0 = frame[p] as number;
      const a1 = frame[p + 1] as number;
      const a2 = frame[p + 2] as number;
      const a3 = frame[p + 3] as number;
      const b0 = frame[p + w] as number;
      const b1 = frame[p + w + 1] as number;
      const b2 = frame[p + w + 2] as number;
      const b3 = frame[p + w + 3] as number;
      const c0 = frame[p + 2 * w] as number;
      const c1 = frame[p + 2 * w + 1] as number;
      const c2 = frame[p + 2 * w + 2] as number;
      const c3 = frame[p + 2 * w + 3] as number;
      const d0 = frame[p + 3 * w] as number;
      const d1 = frame[p + 3 * w + 1] as number;
      const d2 = frame[p + 3 * w + 2] as number;
      const d3 = frame[p + 3 * w + 3] as number;
      cells[k] = a0 + a1 + a2 + a3 + b0 + b1 + b2 + b3 + c0 + c1 + c2 + c3 + d0 + d1 + d2 + d3;
      const qa = a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
      const qb = b0 * b0 + b1 * b1 + b2 * b2 + b3 * b3;
      const qc = c0 * c0 + c1 * c1 + c2 * c2 + c3 * c3;
      const qd = d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
      sumSq += qa + qb + qc + qd;
    }
  }
  return sumSq;
}

/**
 * Any other grid (scripts/liveness/measure.ts --grid): pixel by pixel, a column's cell looked
 * up in a table; cells at the right and bottom edge take the remainder when `grid` does not
 * divide the frame.
 */
function pixelSums(frame: Uint8Array, grid: number, cells: Float32Array): number {
  cells.fill(0);
  const colCell = new Int32Array(W);
  for (let x = 0; x < W; x++) colCell[x] = Math.min(grid - 1, Math.floor((x * grid) / W));
  let sumSq = 0;
  for (let y = 0; y < H; y++) {
    const rowBase = Math.min(grid - 1, Math.floor((y * grid) / H)) * grid;
    const offset = y * W;
    for (let x = 0; x < W; x++) {
      const v = frame[offset + x] as number;
      sumSq += v * v;
      const c = rowBase + (colCell[x] as number);
      cells[c] = (cells[c] as number) + v;
    }
  }
  return sumSq;
}

/**
 * The gradients of the cells (central differences, one-sided at the edges) into `basis` and
 * the inverse of their Gram matrix into `gramInverse`, in one pass: the Gram matrix is
 * symmetric, so 6 running dot products, each summed in cell order as a separate dot product
 * would be.
 */
function motionModel(cells: Float32Array, g: number, basis: Float64Array, gramInverse: Float64Array): void {
  const n = g * g;
  const c = (g - 1) / 2;
  let xx = 0;
  let xy = 0;
  let xr = 0;
  let yy = 0;
  let yr = 0;
  let rr = 0;
  for (let y = 0; y < g; y++) {
    const row = y * g;
    const up = (y > 0 ? y - 1 : 0) * g;
    const down = (y < g - 1 ? y + 1 : g - 1) * g;
    // Halving is exact, so × 0.5 gives the same numbers as ÷ 2.
    const yScale = y === 0 || y === g - 1 ? 1 : 0.5;
    const ry = y - c;
    for (let x = 0; x < g; x++) {
      const left = x > 0 ? x - 1 : 0;
      const right = x < g - 1 ? x + 1 : g - 1;
      const dx = ((cells[row + right] as number) - (cells[row + left] as number)) * (x === 0 || x === g - 1 ? 1 : 0.5);
      const dy = ((cells[down + x] as number) - (cells[up + x] as number)) * yScale;
      const dr = (x - c) * dx + ry * dy;
      const i = row + x;
      basis[i] = dx;
      basis[n + i] = dy;
      basis[2 * n + i] = dr;
      xx += dx * dx;
      xy += dx * dy;
      xr += dx * dr;
      yy += dy * dy;
      yr += dy * dr;
      rr += dr * dr;
    }
  }
  invertSymmetric3(xx, xy, xr, yy, yr, rr, gramInverse);
}

/**
 * Inverse of the symmetric matrix [[a b c] [b d e] [c e f]] into `out` (cofactors over the
 * determinant, the same expressions as a general 3×3 inverse); zeros when singular.
 */
function invertSymmetric3(a: number, b: number, c: number, d: number, e: number, f: number, out: Float64Array): void {
  const A = d * f - e * e;
  const B = -(b * f - e * c);
  const C = b * e - d * c;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-9) {
    out.fill(0);
    return;
  }
  const D = a * f - c * c;
  const E = -(a * e - c * b);
  const F = a * d - b * b;
  out[0] = A / det;
  out[1] = B / det;
  out[2] = C / det;
  out[3] = B / det;
  out[4] = D / det;
  out[5] = E / det;
  out[6] = C / det;
  out[7] = E / det;
  out[8] = F / det;
}

/**
 * How far apart two layouts are: mean absolute difference of the cells, in standard
 * deviations of the frame. Kept for comparison (scripts/liveness/measure.ts --metric layout):
 * it cannot tell strong noise from motion, which motionDistance can.
 */
export function layoutDistance(a: FrameLayout, b: FrameLayout): number {
  if (!a.textured || !b.textured) return a.textured === b.textured ? 0 : Number.POSITIVE_INFINITY;
  let d = 0;
  for (let i = 0; i < a.cells.length; i++) d += Math.abs((a.cells[i] as number) - (b.cells[i] as number));
  return d / a.cells.length;
}

/**
 * The part of the change from `earlier` to `frame` that motion explains: the difference is
 * fitted, least squares, by the newer layout's horizontal, vertical and radial gradients (a
 * shift and a zoom of the same picture, to first order), and the result is the RMS of that
 * fit in standard deviations of the frame. Noise added to a replayed picture is spread
 * evenly over the cells, so only a sliver of it (3 directions out of LAYOUT_GRID²) lies
 * along the fit; a face moving in front of a camera puts most of its change there.
 */
export function motionDistance(frame: FrameLayout, earlier: EarlierLayout): number {
  if (!frame.textured || !earlier.textured) return frame.textured === earlier.textured ? 0 : Number.POSITIVE_INFINITY;
  const cells = frame.cells;
  const before = earlier.cells;
  const basis = frame.motionBasis;
  const n = cells.length;
  const n2 = 2 * n;
  let v0 = 0;
  let v1 = 0;
  let v2 = 0;
  for (let i = 0; i < n; i++) {
    const d = (cells[i] as number) - (before[i] as number);
    v0 += (basis[i] as number) * d;
    v1 += (basis[n + i] as number) * d;
    v2 += (basis[n2 + i] as number) * d;
  }
  return fitRms(frame.gramInverse, v0, v1, v2, n);
}

/**
 * motionDistance(frame, earlier[k]) into out[k] for every k, the same numbers. The loop
 * costs its array reads (and their bounds checks) more than its arithmetic, so three earlier
 * layouts share each pass over the newer frame's cells and gradients: about 1.6× less time
 * per pair. ReplayDetector compares every frame with the 15 of its window (5 frames/s) so.
 */
export function motionDistances(frame: FrameLayout, earlier: readonly EarlierLayout[], out: Float64Array): void {
  // Indices of textured earlier layouts waiting for a group of three.
  let a = -1;
  let b = -1;
  for (let k = 0; k < earlier.length; k++) {
    const e = earlier[k] as EarlierLayout;
    if (!frame.textured || !e.textured) out[k] = motionDistance(frame, e);
    else if (a < 0) a = k;
    else if (b < 0) b = k;
    else {
      motionTriple(frame, earlier, out, a, b, k);
      a = -1;
      b = -1;
    }
  }
  if (a >= 0) out[a] = motionDistance(frame, earlier[a] as EarlierLayout);
  if (b >= 0) out[b] = motionDistance(frame, earlier[b] as EarlierLayout);
}

/** motionDistance of `frame` to the textured layouts earlier[ka], earlier[kb], earlier[kc], into out. */
function motionTriple(
  frame: FrameLayout,
  earlier: readonly EarlierLayout[],
  out: Float64Array,
  ka: number,
  kb: number,
  kc: number,
): void {
  const cells = frame.cells;
  const basis = frame.motionBasis;
  const p = (earlier[ka] as EarlierLayout).cells;
  const q = (earlier[kb] as EarlierLayout).cells;
  const r = (earlier[kc] as EarlierLayout).cells;
  const n = cells.length;
  const n2 = 2 * n;
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  for (let i = 0; i < n; i++) {
    const c = cells[i] as number;
    const bx = basis[i] as number;
    const by = basis[n + i] as number;
    const br = basis[n2 + i] as number;
    const dp = c - (p[i] as number);
    const dq = c - (q[i] as number);
    const ds = c - (r[i] as number);
    p0 += bx * dp;
    p1 += by * dp;
    p2 += br * dp;
    q0 += bx * dq;
    q1 += by * dq;
    q2 += br * dq;
    r0 += bx * ds;
    r1 += by * ds;
    r2 += br * ds;
  }
  out[ka] = fitRms(frame.gramInverse, p0, p1, p2, n);
  out[kb] = fitRms(frame.gramInverse, q0, q1, q2, n);
  out[kc] = fitRms(frame.gramInverse, r0, r1, r2, n);
}

/** RMS over `n` cells of the least-squares fit whose projections onto the basis are v0, v1, v2. */
function fitRms(m: Float64Array, v0: number, v1: number, v2: number, n: number): number {
  const energy =
    v0 * ((m[0] as number) * v0 + (m[1] as number) * v1 + (m[2] as number) * v2) +
    v1 * ((m[3] as number) * v0 + (m[4] as number) * v1 + (m[5] as number) * v2) +
    v2 * ((m[6] as number) * v0 + (m[7] as number) * v1 + (m[8] as number) * v2);
  return Math.sqrt(Math.max(0, energy) / n);
}
