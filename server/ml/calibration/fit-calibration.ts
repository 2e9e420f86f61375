/**
 * Fitting the meter calibration (engine/calibration.ts) on PublicTest (pure):
 * a temperature by cross-entropy against the FER+ vote distributions, then one bias
 * per emotion so that, for every emotion in the set, the median calibrated
 * probability of that emotion over the faces whose FER+ majority is that emotion is
 * the same. Offline only: the server just applies the result.
 */
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { applyCalibration } from '../engine/calibration.ts';

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

export function calibrateAll(
  cal: { temperature: number; bias: number[] },
  probs: Float32Array,
  n: number,
): Float32Array {
  const out = new Float32Array(n * EMOTION_COUNT);
  for (let i = 0; i < n; i++)
    out.set(applyCalibration(cal, probs.subarray(i * EMOTION_COUNT, (i + 1) * EMOTION_COUNT)), i * EMOTION_COUNT);
  return out;
}

const logit = (p: number) => Math.log(Math.max(P_MIN, p) / Math.max(P_MIN, 1 - p));

/**
 * Biases (FER2013 order; 0 outside `emotions`) that equalise the per-emotion medians
 * of the calibrated probabilities over `emotions`: each round moves every bias by half
 * the gap between the mean logit of the medians and its own median's logit.
 */
export function fitBiases(
  probs: Float32Array,
  labels: ArrayLike<number>,
  n: number,
  temperature: number,
  emotions: readonly number[],
  rounds = 400,
): { bias: number[]; rounds: number; spread: number } {
  const bias = new Array<number>(EMOTION_COUNT).fill(0);
  let spread = Number.POSITIVE_INFINITY;
  let r = 0;
  for (; r < rounds; r++) {
    const m = classMedians(calibrateAll({ temperature, bias }, probs, n), labels, n);
    const ls = emotions.map((e) => {
      const v = m[e];
      if (v === null || v === undefined) throw new Error(`no PublicTest face has the majority label ${e}`);
      return logit(v);
    });
    const target = ls.reduce((s, v) => s + v, 0) / ls.length;
    spread = Math.max(...ls) - Math.min(...ls);
    if (spread < 1e-3) break;
    emotions.forEach((e, k) => {
      bias[e] = (bias[e] as number) + 0.5 * (target - (ls[k] as number));
    });
  }
  // A common shift of all biases changes nothing; keep them centred for readability.
  const mean = emotions.reduce((s, e) => s + (bias[e] as number), 0) / Math.max(1, emotions.length);
  for (const e of emotions) bias[e] = (bias[e] as number) - mean;
  return { bias, rounds: r, spread };
}
