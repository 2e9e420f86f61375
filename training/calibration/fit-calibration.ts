/**
 * Fitting a model folder's calibration (engine/calibration.ts) on PublicTest (pure):
 * a temperature by cross-entropy against the FER+ vote distributions (it never changes
 * the top class), then one piecewise-linear meter map per emotion through quantile knots
 * of that emotion's probability over the faces whose FER+ majority is that emotion,
 * placed on a common reference, so that the median meter (and, where a class has enough
 * faces, its quartiles and deciles) is the same for every emotion. Offline only: the
 * server just applies the result.
 */

import { applyTemperature, type MeterKnots, meterFor } from '../../server/ml/engine/calibration.ts';
import { EMOTION_COUNT, EMOTIONS, type Emotion } from '../../shared/emotions.ts';

const P_MIN = 1e-7;

/** Mean cross-entropy of softmax(log p / T) against target distributions (rows×7 each). */
export function crossEntropyAt(probs: Float32Array, targets: Float32Array, n: number, temperature: number): number {
  let total = 0;
  const z = new Float64Array(EMOTION_COUNT);
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < EMOTION_COUNT; c++) {
      z[c] = Math.log(Math.max(P_MIN, probs[i * EMOTION_COUNT + c] as number)) / temperature;
      if ((z[c] as number) > max) max = z[c] as number;
    }
    let s = 0;
    for (let c = 0; c < EMOTION_COUNT; c++) s += Math.exp((z[c] as number) - max);
    const logSum = max + Math.log(s);
    for (let c = 0; c < EMOTION_COUNT; c++) {
      const t = targets[i * EMOTION_COUNT + c] as number;
      if (t > 0) total -= t * ((z[c] as number) - logSum);
    }
  }
  return total / Math.max(1, n);
}

/** The temperature in [0.2, 5] with the least cross-entropy (golden-section search on log T). */
export function fitTemperature(probs: Float32Array, targets: Float32Array, n: number): number {
  let a = Math.log(0.2);
  let b = Math.log(5);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = crossEntropyAt(probs, targets, n, Math.exp(c));
  let fd = crossEntropyAt(probs, targets, n, Math.exp(d));
  for (let k = 0; k < 60; k++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = crossEntropyAt(probs, targets, n, Math.exp(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = crossEntropyAt(probs, targets, n, Math.exp(d));
    }
  }
  return Math.exp((a + b) / 2);
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * For each emotion: the median of its probability over the rows whose label is that
 * emotion (null when no row has it). `probs` are rows×7; labels < 0 are skipped.
 */
export function classMedians(probs: Float32Array, labels: ArrayLike<number>, n: number): (number | null)[] {
  const per: number[][] = Array.from({ length: EMOTION_COUNT }, () => []);
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    if (y >= 0) per[y]?.push(probs[i * EMOTION_COUNT + y] as number);
  }
  return per.map(median);
}

/** softmax(log p / T) of every row (rows×7). */
export function temperatureAll(temperature: number, probs: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * EMOTION_COUNT);
  for (let i = 0; i < n; i++)
    out.set(
      applyTemperature(temperature, probs.subarray(i * EMOTION_COUNT, (i + 1) * EMOTION_COUNT)),
      i * EMOTION_COUNT,
    );
  return out;
}

/** Every entry through its emotion's meter map: row i, column c is the meter for c if c were prompted. */
export function meterAll(cal: { meter: Record<Emotion, MeterKnots> }, probs: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * EMOTION_COUNT);
  for (let i = 0; i < n * EMOTION_COUNT; i++) out[i] = meterFor(cal, i % EMOTION_COUNT, probs[i] as number);
  return out;
}

/** The q-quantile of ascending values, interpolated between order statistics (NumPy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const x = q * (sorted.length - 1);
  const i = Math.floor(x);
  const lo = sorted[i] as number;
  const hi = sorted[Math.min(sorted.length - 1, i + 1)] as number;
  return lo + (x - i) * (hi - lo);
}

/** Quantiles at which a class gets a knot (the median always; the others where the class has the faces). */
export const KNOT_QUANTILES: readonly number[] = [0.1, 0.25, 0.5, 0.75, 0.9];

export interface MeterFitOptions {
  /**
   * A knot at quantile q needs at least this many faces on each side of it: min(q, 1 − q) × n.
   * 15 gives the median from 30 faces, the quartiles from 60, the deciles from 150, so a
   * class with few faces (disgust: 31 on PublicTest) gets one knot and a gentle map
   * instead of tails fitted to a handful of faces.
   */
  minPerSide?: number;
  /** Knots closer than this in probability are dropped (a near-vertical segment would make the meter jumpy). */
  minGap?: number;
  /** Shift the reference (in logit) so that the common median meter is this; default: the consensus of the classes. */
  targetMedian?: number;
}

export interface MeterFit {
  meter: Record<Emotion, MeterKnots>;
  /** The common level each quantile is mapped to. */
  reference: { quantile: number; meter: number }[];
  /** Emotions whose median meter is equalised. */
  equalised: Emotion[];
  /** Emotions left on the identity map, and why. */
  identity: { emotion: Emotion; reason: string }[];
  /** Faces per emotion (FER+ majority) the fit saw. */
  faces: Record<Emotion, number>;
}

const logitOf = (p: number) => {
  const v = Math.min(1 - P_MIN, Math.max(P_MIN, p));
  return Math.log(v / (1 - v));
};
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * The meter maps. For each emotion e in `emotions` with enough faces, x-knots are quantiles
 * of e's probability over the faces labelled e; their y is the reference: for each quantile,
 * the mean over those emotions of the quantile's logit, back through the sigmoid (a
 * consensus, so the map moves weak and strong emotions towards each other and leaves the
 * game's overall level where the average emotion had it), shifted to `targetMedian` when
 * given. Knots go outwards from the median and are kept only while both coordinates stay
 * strictly increasing and `minGap` apart, so every map is increasing with 0 → 0 and 1 → 1.
 * Other emotions, and data too thin to fit, get the identity map.
 */
export function fitMeterMaps(
  probs: Float32Array,
  labels: ArrayLike<number>,
  n: number,
  emotions: readonly number[],
  options: MeterFitOptions = {},
): MeterFit {
  const minPerSide = options.minPerSide ?? 15;
  const minGap = options.minGap ?? 0.01;
  const values: number[][] = Array.from({ length: EMOTION_COUNT }, () => []);
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    const v = probs[i * EMOTION_COUNT + y];
    if (y >= 0 && y < EMOTION_COUNT && v !== undefined && Number.isFinite(v)) values[y]?.push(v);
  }
  for (const v of values) v.sort((a, b) => a - b);
  const faces = Object.fromEntries(EMOTIONS.map((e, c) => [e, values[c]?.length ?? 0])) as Record<Emotion, number>;
  const identity: MeterFit['identity'] = [];
  const eligible: number[] = [];
  for (const c of new Set(emotions)) {
    const v = values[c] as number[];
    const med = quantile(v, 0.5);
    if (v.length < 2 * minPerSide)
      identity.push({
        emotion: EMOTIONS[c] as Emotion,
        reason: `${v.length} faces (a median needs ${2 * minPerSide})`,
      });
    else if (!(med > minGap && med < 1 - minGap))
      identity.push({ emotion: EMOTIONS[c] as Emotion, reason: `median probability ${med.toFixed(4)} at the edge` });
    else eligible.push(c);
  }
  if (eligible.length === 0) throw new Error('no emotion has enough faces with a usable median to fit a meter map');
  let reference = KNOT_QUANTILES.map((q) => ({
    quantile: q,
    z: eligible.reduce((s, c) => s + logitOf(quantile(values[c] as number[], q)), 0) / eligible.length,
  }));
  if (options.targetMedian !== undefined) {
    const t = options.targetMedian;
    if (!(t > 0 && t < 1)) throw new RangeError(`targetMedian must be in (0, 1), got ${t}`);
    const shift = logitOf(t) - (reference.find((r) => r.quantile === 0.5)?.z ?? 0);
    reference = reference.map((r) => ({ quantile: r.quantile, z: r.z + shift }));
  }
  const refOf = new Map(reference.map((r) => [r.quantile, sigmoid(r.z)]));
  const meter = Object.fromEntries(EMOTIONS.map((e) => [e, { x: [0, 1], y: [0, 1] }])) as Record<Emotion, MeterKnots>;
  for (const c of eligible) {
    const v = values[c] as number[];
    const usable = (q: number) => Math.min(q, 1 - q) * v.length >= minPerSide;
    const knot = (q: number) => ({ x: quantile(v, q), y: refOf.get(q) as number });
    const mid = knot(0.5);
    const up = [mid];
    for (const q of KNOT_QUANTILES.filter((q) => q > 0.5 && usable(q))) {
      const k = knot(q);
      const last = up[up.length - 1] as { x: number; y: number };
      if (k.x > last.x + minGap && k.x < 1 - minGap && k.y > last.y && k.y < 1) up.push(k);
    }
    const down: { x: number; y: number }[] = [];
    for (const q of KNOT_QUANTILES.filter((q) => q < 0.5 && usable(q)).reverse()) {
      const k = knot(q);
      const last = down[down.length - 1] ?? mid;
      if (k.x < last.x - minGap && k.x > minGap && k.y < last.y && k.y > 0) down.push(k);
    }
    const knots = [...down.reverse(), ...up];
    meter[EMOTIONS[c] as Emotion] = { x: [0, ...knots.map((k) => k.x), 1], y: [0, ...knots.map((k) => k.y), 1] };
  }
  for (const c of EMOTIONS.keys())
    if (!emotions.includes(c)) identity.push({ emotion: EMOTIONS[c] as Emotion, reason: 'not in the equalised set' });
  return {
    meter,
    reference: reference.map((r) => ({ quantile: r.quantile, meter: sigmoid(r.z) })),
    equalised: eligible.map((c) => EMOTIONS[c] as Emotion),
    identity,
    faces,
  };
}

/** Rows whose top class differs between two rows×7 arrays (the temperature must give 0). */
export function countArgmaxChanges(a: Float32Array, b: Float32Array, n: number): number {
  const top = (p: Float32Array, i: number) => {
    let best = 0;
    for (let c = 1; c < EMOTION_COUNT; c++)
      if ((p[i * EMOTION_COUNT + c] as number) > (p[i * EMOTION_COUNT + best] as number)) best = c;
    return best;
  };
  let changed = 0;
  for (let i = 0; i < n; i++) if (top(a, i) !== top(b, i)) changed++;
  return changed;
}

/**
 * The q-quantile of column `emotion` over the rows labelled with another emotion (labels
 * < 0 skipped): how high the meter for a prompt goes on faces that do not show it.
 */
export function otherFacesQuantile(
  probs: Float32Array,
  labels: ArrayLike<number>,
  n: number,
  emotion: number,
  q: number,
): number | null {
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    if (y >= 0 && y !== emotion) v.push(probs[i * EMOTION_COUNT + emotion] as number);
  }
  return v.length === 0
    ? null
    : quantile(
        v.sort((x, y) => x - y),
        q,
      );
}
