/**
 * The calibration a model folder may ship (calibration.json, version 2), applied by the
 * server. Two parts with two jobs:
 *
 * - A temperature on the class probabilities: q = softmax(log p / T). It only sharpens or
 *   softens the distribution the client draws as bars; the top class never changes, so
 *   accuracy as served is the network's accuracy.
 * - A meter map per emotion: the meter for a prompted emotion e is m_e(q_e), a
 *   piecewise-linear, increasing map through (0, 0), a few knots and (1, 1). The network's
 *   probabilities are not comparable across emotions (a clear sad face may top out at 0.3
 *   while happy faces reach 0.95); the knots are fitted on PublicTest
 *   (training/calibration/) so that the median meter over the faces whose FER+ majority
 *   is e is the same for every emotion. Monotone: a face with more evidence for e never
 *   gets a lower meter.
 *
 * The engine applies the temperature to every output and attaches the meter map to it
 * (attachMeterMap, server/game/scoring.ts); the room applies the map once, to the
 * prompted emotion (frameMatch). Pure functions; the file is validated with a clear error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMOTION_COUNT, EMOTIONS, type Emotion } from '../../../shared/emotions.ts';
import { attachMeterMap, type MeterMap } from '../../game/scoring.ts';

export const CALIBRATION_FILE = 'calibration.json';
export const CALIBRATION_VERSION = 2;

/** A piecewise-linear increasing map of [0, 1] onto [0, 1]: x[0] = y[0] = 0, x[n-1] = y[n-1] = 1. */
export interface MeterKnots {
  x: number[];
  y: number[];
}

export interface Calibration {
  version: 2;
  temperature: number;
  /** The meter map of each of the seven emotions. */
  meter: Record<Emotion, MeterKnots>;
  [report: string]: unknown;
}

/** The part of a calibration the server applies. */
export type ServedCalibration = Pick<Calibration, 'temperature' | 'meter'>;

/** Smallest probability taken to the log (a model that outputs exact zeros stays finite). */
const P_MIN = 1e-7;

export const IDENTITY_KNOTS: MeterKnots = Object.freeze({ x: [0, 1], y: [0, 1] }) as MeterKnots;

function checkKnots(k: unknown, where: string, bad: (why: string) => Error): MeterKnots {
  const o = k as Partial<MeterKnots> | null;
  if (typeof o !== 'object' || o === null) throw bad(`${where} must be an object { x: [...], y: [...] }`);
  const { x, y } = o;
  const numbers = (a: unknown): a is number[] =>
    Array.isArray(a) && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!numbers(x) || !numbers(y) || x.length !== y.length || x.length < 2)
    throw bad(`${where}: x and y must be arrays of the same length (at least 2) of finite numbers`);
  if (x[0] !== 0 || y[0] !== 0 || x[x.length - 1] !== 1 || y[y.length - 1] !== 1)
    throw bad(`${where} must start at (0, 0) and end at (1, 1)`);
  for (let i = 1; i < x.length; i++) {
    if (!((x[i] as number) > (x[i - 1] as number)) || !((y[i] as number) > (y[i - 1] as number)))
      throw bad(`${where}: x and y must both increase strictly (knot ${i})`);
  }
  return { x: [...x], y: [...y] };
}

export function parseCalibration(json: unknown, file = CALIBRATION_FILE): Calibration {
  const o = json as Omit<Partial<Calibration>, 'version'> & { version?: unknown };
  const bad = (why: string) => new Error(`${file}: ${why}`);
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('expected a JSON object');
  if (o.version === 1)
    // Version 1 put one bias per emotion on the class probabilities, which moved the top
    // class (6 points of FER2013 accuracy). Serving it silently as something else would
    // change every score; the operator refits instead.
    throw bad(
      'version 1 (per-emotion biases that change the top class) is no longer served; refit with `npm run calibrate -- --model <folder>`, which writes version 2',
    );
  if (o.version !== CALIBRATION_VERSION)
    throw bad(`version must be ${CALIBRATION_VERSION} (found ${JSON.stringify(o.version) ?? 'none'})`);
  if (typeof o.temperature !== 'number' || !Number.isFinite(o.temperature) || o.temperature <= 0)
    throw bad('temperature must be a positive number');
  const meter = o.meter as Record<string, unknown> | undefined;
  if (typeof meter !== 'object' || meter === null || Array.isArray(meter))
    throw bad(`meter must be an object with one map per emotion (${EMOTIONS.join(', ')})`);
  const unknown = Object.keys(meter).filter((k) => !(EMOTIONS as readonly string[]).includes(k));
  if (unknown.length > 0) throw bad(`meter: unknown emotion ${unknown.join(', ')}`);
  const maps = {} as Record<Emotion, MeterKnots>;
  for (const e of EMOTIONS) {
    if (meter[e] === undefined)
      throw bad(`meter.${e} is missing (every emotion needs a map; identity is {x:[0,1],y:[0,1]})`);
    maps[e] = checkKnots(meter[e], `meter.${e}`, bad);
  }
  return { ...o, version: CALIBRATION_VERSION, temperature: o.temperature, meter: maps } as Calibration;
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

/** softmax(log p / T) for one 7-probability vector: same top class, sharper or softer. */
export function applyTemperature(temperature: number, probs: ArrayLike<number>): Float32Array {
  const z = new Float64Array(EMOTION_COUNT);
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < EMOTION_COUNT; c++) {
    z[c] = Math.log(Math.max(P_MIN, probs[c] as number)) / temperature;
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

/** The piecewise-linear map through the knots; values outside [0, 1] are clamped first. */
export function mapMeter(knots: MeterKnots, p: number): number {
  if (!Number.isFinite(p)) return p;
  const v = Math.min(1, Math.max(0, p));
  const { x, y } = knots;
  let k = 1;
  while (k < x.length - 1 && v > (x[k] as number)) k++;
  const x0 = x[k - 1] as number;
  const x1 = x[k] as number;
  const y0 = y[k - 1] as number;
  const y1 = y[k] as number;
  return y0 + ((v - x0) / (x1 - x0)) * (y1 - y0);
}

/** The meter for emotion index `emotion` given its served (temperature-scaled) probability. */
export function meterFor(cal: Pick<Calibration, 'meter'>, emotion: number, p: number): number {
  const e = EMOTIONS[emotion];
  return e ? mapMeter(cal.meter[e], p) : p;
}

/**
 * What the engine serves for one network output: the temperature-scaled distribution,
 * carrying the folder's meter map so the room can turn the prompted emotion's
 * probability into the meter (frameMatch) with the map of the model that scored it
 * (a hot reload may swap models between two frames).
 */
export function applyCalibration(cal: ServedCalibration, probs: ArrayLike<number>): Float32Array {
  return attachMeterMap(applyTemperature(cal.temperature, probs), meterMapOf(cal));
}

/** One meter map per calibration, not one closure per frame. */
const meterMaps = new WeakMap<ServedCalibration, MeterMap>();
function meterMapOf(cal: ServedCalibration): MeterMap {
  let map = meterMaps.get(cal);
  if (!map) {
    map = (emotion, p) => meterFor(cal, emotion, p);
    meterMaps.set(cal, map);
  }
  return map;
}
