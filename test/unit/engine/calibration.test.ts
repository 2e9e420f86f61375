import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameMatch } from '../../../server/game/scoring.ts';
import {
  applyCalibration,
  applyTemperature,
  CALIBRATION_FILE,
  type Calibration,
  mapMeter,
  meterFor,
  parseCalibration,
  readCalibration,
} from '../../../server/ml/engine/calibration.ts';
import { type ModelMetrics, servedPublicRecall } from '../../../server/ml/model-folder/metrics.ts';
import { EMOTIONS, type Emotion } from '../../../shared/emotions.ts';

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((b, v, i, arr) => (v > (arr[b] as number) ? i : b), 0);
const identity = () => ({ x: [0, 1], y: [0, 1] });
const meters = (over: Partial<Record<Emotion, { x: number[]; y: number[] }>> = {}) =>
  Object.fromEntries(EMOTIONS.map((e) => [e, over[e] ?? identity()])) as Calibration['meter'];
/** sad lifted (its median 0.39 → 0.55), happy lowered (0.84 → 0.55). */
const cal: Calibration = {
  version: 2,
  temperature: 1.3,
  meter: meters({ sad: { x: [0, 0.39, 1], y: [0, 0.55, 1] }, happy: { x: [0, 0.6, 0.84, 1], y: [0, 0.3, 0.55, 1] } }),
};

describe('applyTemperature', () => {
  it('is the identity at temperature 1', () => {
    const p = [0.1, 0.05, 0.05, 0.5, 0.1, 0.1, 0.1];
    const q = applyTemperature(1, p);
    p.forEach((v, i) => {
      expect(q[i]).toBeCloseTo(v, 6);
    });
  });
  it('keeps a distribution with the same top class, also for exact zeros', () => {
    for (const p of [
      [0, 0, 0, 1, 0, 0, 0],
      [0.3, 0.05, 0.15, 0.2, 0.1, 0.1, 0.1],
      [0.1, 0.1, 0.1, 0.1, 0.35, 0.1, 0.15],
    ]) {
      for (const t of [0.5, 1.3, 4]) {
        const q = applyTemperature(t, p);
        expect(sum(q)).toBeCloseTo(1, 6);
        expect(argmax(q)).toBe(argmax(p));
        for (const v of q) expect(v).toBeGreaterThan(0);
      }
    }
  });
});

describe('mapMeter', () => {
  const k = { x: [0, 0.39, 1], y: [0, 0.55, 1] };
  it('maps 0 to 0, 1 to 1 and each knot onto its level, linearly in between', () => {
    expect(mapMeter(k, 0)).toBe(0);
    expect(mapMeter(k, 1)).toBe(1);
    expect(mapMeter(k, 0.39)).toBeCloseTo(0.55, 12);
    expect(mapMeter(k, 0.195)).toBeCloseTo(0.275, 12);
    expect(mapMeter(k, 0.695)).toBeCloseTo(0.775, 12);
  });
  it('is increasing, clamps values outside [0, 1] and passes non-finite values through', () => {
    let last = -1;
    for (let i = 0; i <= 1000; i++) {
      const m = mapMeter(k, i / 1000);
      expect(m).toBeGreaterThan(last);
      last = m;
    }
    expect(mapMeter(k, -0.2)).toBe(0);
    expect(mapMeter(k, 1.5)).toBe(1);
    expect(mapMeter(k, Number.NaN)).toBeNaN();
  });
});

describe('applyCalibration and frameMatch', () => {
  const p = [0.05, 0.02, 0.08, 0.15, 0.3, 0.05, 0.35];
  it('serves the temperature-scaled distribution: the top class is unchanged', () => {
    const q = applyCalibration(cal, p);
    const t = applyTemperature(cal.temperature, p);
    expect(Array.from(q)).toEqual(Array.from(t));
    expect(argmax(q)).toBe(argmax(p));
  });
  it("maps the prompted emotion's probability once, with the map of the calibration that served it", () => {
    const q = applyCalibration(cal, p);
    const qs = q[4] as number;
    expect(frameMatch(q, 4)).toBeCloseTo(mapMeter(cal.meter.sad, qs), 6);
    expect(frameMatch(q, 4)).toBeGreaterThan(qs);
    expect(frameMatch(q, 4)).toBeCloseTo(meterFor(cal, 4, qs), 12);
    // An identity-mapped emotion keeps its probability.
    expect(frameMatch(q, 0)).toBeCloseTo(q[0] as number, 12);
    // The distribution itself is not mapped (the map is for the meter only).
    expect(q[4]).toBe(qs);
    // Another model's output (say, after a hot reload) carries its own map.
    const other = applyCalibration({ temperature: 1.3, meter: meters() }, p);
    expect(frameMatch(other, 4)).toBeCloseTo(other[4] as number, 12);
  });
  it('an output without a map (no calibration.json, or a copy) is the probability itself', () => {
    const raw = Float32Array.from(p);
    expect(frameMatch(raw, 4)).toBeCloseTo(0.3, 6);
    expect(frameMatch(Array.from(applyCalibration(cal, p)), 4)).toBeCloseTo(applyTemperature(1.3, p)[4] as number, 6);
    expect(frameMatch([Number.NaN, 0, 0, 0, 0, 0, 0], 0)).toBeNaN();
  });
});

describe('parseCalibration', () => {
  const ok = { version: 2, temperature: 1.2, meter: meters({ sad: { x: [0, 0.4, 1], y: [0, 0.55, 1] } }) };
  it('accepts a valid file and keeps its report fields', () => {
    const c = parseCalibration({ ...ok, medianMeter: {} });
    expect(c.temperature).toBe(1.2);
    expect(c.meter.sad).toEqual({ x: [0, 0.4, 1], y: [0, 0.55, 1] });
    expect(c.medianMeter).toEqual({});
  });
  const withSad = (sad: unknown) => ({ ...ok, meter: { ...ok.meter, sad } });
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 3, /expected a JSON object/],
    ['an array', [], /expected a JSON object/],
    [
      'version 1 (biases)',
      { version: 1, temperature: 1, bias: [0, 0, 0, 0, 0, 0, 0] },
      /version 1 .* no longer served; refit with `npm run calibrate/,
    ],
    ['another version', { ...ok, version: 3 }, /version must be 2 \(found 3\)/],
    ['no version', { temperature: 1, meter: ok.meter }, /version must be 2 \(found none\)/],
    ['a zero temperature', { ...ok, temperature: 0 }, /temperature must be a positive number/],
    ['no meter', { version: 2, temperature: 1 }, /meter must be an object with one map per emotion/],
    ['a missing emotion', { ...ok, meter: { ...ok.meter, disgust: undefined } }, /meter\.disgust is missing/],
    ['an unknown emotion', { ...ok, meter: { ...ok.meter, contempt: identity() } }, /unknown emotion contempt/],
    ['a map that is not an object', withSad('linear'), /meter\.sad must be an object/],
    ['x and y of other lengths', withSad({ x: [0, 0.5, 1], y: [0, 1] }), /same length/],
    ['a non-number knot', withSad({ x: [0, '0.5', 1], y: [0, 0.5, 1] }), /finite numbers/],
    ['a map not from (0, 0)', withSad({ x: [0, 1], y: [0.1, 1] }), /start at \(0, 0\) and end at \(1, 1\)/],
    ['a map not to (1, 1)', withSad({ x: [0, 0.9], y: [0, 1] }), /start at \(0, 0\) and end at \(1, 1\)/],
    ['a decreasing map', withSad({ x: [0, 0.3, 0.6, 1], y: [0, 0.5, 0.4, 1] }), /increase strictly \(knot 2\)/],
    ['a flat step', withSad({ x: [0, 0.3, 0.3, 1], y: [0, 0.4, 0.5, 1] }), /increase strictly/],
  ];
  for (const [name, json, msg] of cases) {
    it(`rejects ${name}, naming the file`, () => {
      expect(() => parseCalibration(json, 'm/calibration.json')).toThrow(/^m\/calibration\.json: /);
      expect(() => parseCalibration(json, 'm/calibration.json')).toThrow(msg);
    });
  }
});

describe('readCalibration', () => {
  it("reads a folder's file, returns null without one, and refuses a bad one with the path", () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibration-'));
    try {
      expect(readCalibration(dir)).toBeNull();
      writeFileSync(join(dir, CALIBRATION_FILE), JSON.stringify(cal));
      expect(readCalibration(dir)?.meter.sad).toEqual(cal.meter.sad);
      writeFileSync(join(dir, CALIBRATION_FILE), '{"version": 2,');
      expect(() => readCalibration(dir)).toThrow(new RegExp(`${CALIBRATION_FILE}: not valid JSON`));
      writeFileSync(join(dir, CALIBRATION_FILE), JSON.stringify({ ...cal, temperature: -1 }));
      expect(() => readCalibration(dir)).toThrow(/calibration\.json: temperature must be a positive number/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('servedPublicRecall', () => {
  const report = (recall: number) => ({
    n: 1,
    accuracy: 1,
    macroF1: 1,
    perClass: { fear: { precision: 1, recall, f1: 1, support: 1 } },
    confusion: [],
  });
  const base: ModelMetrics = {
    architecture: 'vgg16',
    backend: 'wasm',
    params: 1,
    flopsPerImage: 1,
    epochs: 1,
    bestEpoch: 1,
    wallTimeS: 1,
    trainImgPerSec: 1,
    served: { tta: false },
    evaluation: { PublicTest: { plain: report(0.38), flipTta: report(0.4) } },
  };
  it("uses the FER+ recall as served that a calibration recorded, else the served split's recall", () => {
    expect(servedPublicRecall(base)).toEqual({ fear: 0.38 });
    expect(
      servedPublicRecall({ ...base, calibration: { ferplusPublicRecall: { fear: 0.67, disgust: null } } }),
    ).toEqual({
      fear: 0.67,
    });
  });
});
