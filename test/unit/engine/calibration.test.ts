import { describe, expect, it } from 'vitest';
import { applyCalibration, parseCalibration } from '../../../server/ml/engine/calibration.ts';
import { type ModelMetrics, servedPublicRecall } from '../../../server/ml/eval/report-types.ts';

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

describe('applyCalibration', () => {
  const cal = { temperature: 1.3, bias: [0.2, 1.1, -0.4, -1, 0.7, -0.6, 0.9] };

  it('is the identity at temperature 1 with no biases', () => {
    const p = [0.1, 0.05, 0.05, 0.5, 0.1, 0.1, 0.1];
    const q = applyCalibration({ temperature: 1, bias: [0, 0, 0, 0, 0, 0, 0] }, p);
    p.forEach((v, i) => {
      expect(q[i]).toBeCloseTo(v, 6);
    });
  });

  it('keeps a distribution: 7 values in (0, 1) summing to 1, also for exact zeros', () => {
    const q = applyCalibration(cal, [0, 0, 0, 1, 0, 0, 0]);
    expect(sum(q)).toBeCloseTo(1, 6);
    for (const v of q) expect(v).toBeGreaterThan(0);
  });

  it('is monotone per class: more evidence for an emotion never lowers its meter', () => {
    for (let e = 0; e < 7; e++) {
      let last = -1;
      for (let k = 1; k <= 99; k++) {
        const pe = k / 100;
        // The other classes share the rest in fixed proportions.
        const p = [0.3, 0.05, 0.15, 0.2, 0.1, 0.1, 0.1].map((v, c) => (c === e ? pe : v));
        const rest = sum(p) - pe;
        const scaled = p.map((v, c) => (c === e ? pe : (v * (1 - pe)) / rest));
        const q = applyCalibration(cal, scaled)[e] as number;
        expect(q).toBeGreaterThanOrEqual(last);
        last = q;
      }
    }
  });
});

describe('parseCalibration', () => {
  const ok = { version: 1, temperature: 1.2, bias: [0, 0, 0, 0, 0, 0, 0] };
  it('accepts a valid file and keeps its report fields', () => {
    expect(parseCalibration({ ...ok, medianMeter: {} }).temperature).toBe(1.2);
  });
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 3, /expected a JSON object/],
    ['another version', { ...ok, version: 2 }, /version must be 1/],
    ['a zero temperature', { ...ok, temperature: 0 }, /temperature must be a positive number/],
    ['six biases', { ...ok, bias: [0, 0, 0, 0, 0, 0] }, /bias must be 7 finite numbers/],
    ['a non-number bias', { ...ok, bias: [0, 0, 0, 'x', 0, 0, 0] }, /bias must be 7 finite numbers/],
  ];
  for (const [name, json, msg] of cases) {
    it(`rejects ${name}, naming the file`, () => {
      expect(() => parseCalibration(json, 'm/calibration.json')).toThrow(/^m\/calibration\.json: /);
      expect(() => parseCalibration(json, 'm/calibration.json')).toThrow(msg);
    });
  }
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
  it("uses the calibrated FER+ recall a calibration recorded, else the served split's recall", () => {
    expect(servedPublicRecall(base)).toEqual({ fear: 0.38 });
    expect(
      servedPublicRecall({ ...base, calibration: { ferplusPublicRecall: { fear: 0.67, disgust: null } } }),
    ).toEqual({
      fear: 0.67,
    });
  });
});
