/**
 * The meter calibration a model folder may ship (calibration.json), applied to every
 * prediction the server makes. The meter is the probability of the prompted emotion,
 * and a network's probabilities are not comparable across classes (a clear sad face
 * may top out at 0.3 while happy faces reach 0.95). The calibration is a temperature
 * and one bias per class on the log-probabilities:
 *
 *   q = softmax(log p / T + b)
 *
 * so q is still a distribution (the probe, the client's bars and argmax all keep
 * their meaning) and q_e rises with the network's own evidence for e (monotone per
 * class). T and b are fitted on PublicTest (server/ml/calibration/) so that the
 * median q_e over the PublicTest faces whose FER+ majority is e is the same for every
 * emotion. Pure functions; the file is validated with a clear error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';

export const CALIBRATION_FILE = 'calibration.json';

export interface Calibration {
  version: 1;
  temperature: number;
  /** One bias per emotion, FER2013 order. */
  bias: number[];
  [report: string]: unknown;
}

/** Smallest probability taken to the log (a model that outputs exact zeros stays finite). */
const P_MIN = 1e-7;

export function parseCalibration(json: unknown, file = CALIBRATION_FILE): Calibration {
  const o = json as Partial<Calibration> | null;
  const bad = (why: string) => new Error(`${file}: ${why}`);
  if (typeof o !== 'object' || o === null) throw bad('expected a JSON object');
  if (o.version !== 1) throw bad(`version must be 1 (found ${String(o.version)})`);
  if (typeof o.temperature !== 'number' || !Number.isFinite(o.temperature) || o.temperature <= 0)
    throw bad('temperature must be a positive number');
  if (
    !Array.isArray(o.bias) ||
    o.bias.length !== EMOTION_COUNT ||
    o.bias.some((b) => typeof b !== 'number' || !Number.isFinite(b))
  )
    throw bad(`bias must be ${EMOTION_COUNT} finite numbers (FER2013 order)`);
  return o as Calibration;
}

/** The folder's calibration, or null when it ships none. Throws on a malformed file. */
export function readCalibration(dir: string): Calibration | null {
  const file = join(dir, CALIBRATION_FILE);
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseCalibration(json, file);
}

/** softmax(log p / T + b) for one 7-probability vector. */
export function applyCalibration(
  cal: Pick<Calibration, 'temperature' | 'bias'>,
  probs: ArrayLike<number>,
): Float32Array {
  const z = new Float64Array(EMOTION_COUNT);
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < EMOTION_COUNT; c++) {
    z[c] = Math.log(Math.max(P_MIN, probs[c] as number)) / cal.temperature + (cal.bias[c] as number);
    if ((z[c] as number) > max) max = z[c] as number;
  }
  let sum = 0;
  for (let c = 0; c < EMOTION_COUNT; c++) {
    z[c] = Math.exp((z[c] as number) - max);
    sum += z[c] as number;
  }
  const out = new Float32Array(EMOTION_COUNT);
  for (let c = 0; c < EMOTION_COUNT; c++) out[c] = (z[c] as number) / sum;
  return out;
}
