import { describe, expect, it } from 'vitest';
import { mapMeter, parseCalibration } from '../../../../server/ml/engine/calibration.ts';
import { EMOTIONS } from '../../../../shared/emotions.ts';
import {
  classMedians,
  countArgmaxChanges,
  crossEntropyAt,
  fitMeterMaps,
  fitTemperature,
  median,
  meterAll,
  otherFacesQuantile,
  quantile,
  temperatureAll,
} from '../../../../training/calibration/fit-calibration.ts';
import { createRng } from '../../../../training/data/rng.ts';

/**
 * A fixture like the served model's PublicTest output: each face's true class gets a
 * class-dependent share of the probability (happy faces are read confidently, sad
 * ones weakly), the rest spread at random.
 */
function fixture(n: number, seed = 7, classOf: (i: number) => number = (i) => i % 7) {
  const rng = createRng(seed);
  const strength = [0.55, 0.3, 0.45, 0.85, 0.3, 0.7, 0.35];
  const probs = new Float32Array(n * 7);
  const labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const y = classOf(i);
    labels[i] = y;
    const raw = Array.from({ length: 7 }, () => 0.05 + rng.next());
    const s = raw.reduce((a, b) => a + b, 0);
    const own = Math.min(0.97, Math.max(0.02, (strength[y] as number) + 0.3 * (rng.next() - 0.5)));
    for (let c = 0; c < 7; c++) probs[i * 7 + c] = c === y ? own : ((raw[c] as number) / s) * (1 - own);
    // Renormalise (the true class's share was set directly).
    const t = Array.from(probs.subarray(i * 7, i * 7 + 7)).reduce((a, b) => a + b, 0);
    for (let c = 0; c < 7; c++) probs[i * 7 + c] = (probs[i * 7 + c] as number) / t;
  }
  return { probs, labels, n };
}

describe('median / classMedians', () => {
  it('takes the middle value, the mean of the two middle ones for an even count, null for none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNull();
  });
  it("uses each row's probability of its own label, skipping rows labelled -1", () => {
    const p = new Float32Array(21);
    p[0] = 0.9; // row 0, label 0
    p[7 + 0] = 0.1; // row 1, label 0
    p[14 + 3] = 0.5; // row 2, excluded
    const m = classMedians(p, [0, 0, -1], 3);
    expect(m[0]).toBeCloseTo(0.5, 6);
    expect(m[3]).toBeNull();
  });
});

describe('fitTemperature', () => {
  it('recovers the temperature that produced the targets', () => {
    const { probs, n } = fixture(700);
    const targets = temperatureAll(2, probs, n);
    const t = fitTemperature(probs, targets, n);
    expect(t).toBeGreaterThan(1.9);
    expect(t).toBeLessThan(2.1);
    expect(crossEntropyAt(probs, targets, n, t)).toBeLessThan(crossEntropyAt(probs, targets, n, 1));
  });
});

describe('quantile', () => {
  it('interpolates between order statistics', () => {
    expect(quantile([0, 1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([0, 1, 2, 3], 0.5)).toBe(1.5);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

const all = [0, 1, 2, 3, 4, 5, 6];
const spread = (v: (number | null)[]) => {
  const xs = v.filter((x): x is number => x !== null);
  return Math.max(...xs) - Math.min(...xs);
};

describe('fitMeterMaps', () => {
  it('equalises the per-emotion median meter on a synthetic set where emotions are read very differently', () => {
    const { probs, labels, n } = fixture(2100);
    expect(spread(classMedians(probs, labels, n))).toBeGreaterThan(0.3);
    const fit = fitMeterMaps(probs, labels, n, all);
    const after = classMedians(meterAll(fit, probs, n), labels, n);
    expect(spread(after)).toBeLessThan(0.01);
    // The common median is the reference's.
    const ref = fit.reference.find((r) => r.quantile === 0.5)?.meter as number;
    for (const m of after) expect(m).toBeCloseTo(ref, 1);
    expect(fit.equalised).toEqual([...EMOTIONS]);
    expect(fit.identity).toEqual([]);
    // 300 faces per emotion: every quantile knot is used.
    for (const e of EMOTIONS) expect(fit.meter[e].x).toHaveLength(7);
  });

  it('gives increasing maps through (0, 0) and (1, 1) that the server accepts', () => {
    const { probs, labels, n } = fixture(2100);
    const fit = fitMeterMaps(probs, labels, n, all);
    for (const e of EMOTIONS) {
      const { x, y } = fit.meter[e];
      expect([x[0], y[0], x[x.length - 1], y[y.length - 1]]).toEqual([0, 0, 1, 1]);
      let last = -1;
      for (let k = 0; k <= 1000; k++) {
        const m = mapMeter(fit.meter[e], k / 1000);
        expect(m).toBeGreaterThan(last);
        last = m;
      }
    }
    expect(() => parseCalibration({ version: 2, temperature: 1, meter: fit.meter })).not.toThrow();
  });

  it('raises weakly read emotions and lowers confidently read ones', () => {
    const { probs, labels, n } = fixture(2100);
    const fit = fitMeterMaps(probs, labels, n, all);
    const before = classMedians(probs, labels, n) as number[];
    // sad (strength 0.3) goes up at its median, happy (0.85) down.
    expect(mapMeter(fit.meter.sad, before[4] as number)).toBeGreaterThan(before[4] as number);
    expect(mapMeter(fit.meter.happy, before[3] as number)).toBeLessThan(before[3] as number);
  });

  it('gives an emotion with few faces only the median knot, and one with too few the identity', () => {
    // 31 disgust faces (as on PublicTest), 12 fear faces, 300 of every other emotion.
    const counts = [300, 31, 12, 300, 300, 300, 300];
    const classOf: number[] = counts.flatMap((k, c) => Array.from({ length: k }, () => c));
    const { probs, labels, n } = fixture(classOf.length, 3, (i) => classOf[i] as number);
    const fit = fitMeterMaps(probs, labels, n, all);
    expect(fit.meter.disgust.x).toHaveLength(3);
    expect(fit.meter.fear).toEqual({ x: [0, 1], y: [0, 1] });
    expect(fit.identity).toEqual([{ emotion: 'fear', reason: '12 faces (a median needs 30)' }]);
    const after = classMedians(meterAll(fit, probs, n), labels, n);
    expect(spread([after[0] ?? null, after[1] ?? null, after[3] ?? null, after[4] ?? null])).toBeLessThan(0.01);
  });

  it('leaves emotions outside the set on the identity map and equalises the rest', () => {
    const { probs, labels, n } = fixture(2100);
    const fit = fitMeterMaps(probs, labels, n, [0, 3, 5]);
    expect(fit.meter.disgust).toEqual({ x: [0, 1], y: [0, 1] });
    expect(fit.identity.map((i) => i.emotion)).toEqual(['disgust', 'fear', 'sad', 'neutral']);
    const after = classMedians(meterAll(fit, probs, n), labels, n);
    expect(spread([after[0] ?? null, after[3] ?? null, after[5] ?? null])).toBeLessThan(0.01);
  });

  it('moves the common median to targetMedian', () => {
    const { probs, labels, n } = fixture(2100);
    const fit = fitMeterMaps(probs, labels, n, all, { targetMedian: 0.7 });
    expect(fit.reference.find((r) => r.quantile === 0.5)?.meter).toBeCloseTo(0.7, 6);
    for (const m of classMedians(meterAll(fit, probs, n), labels, n)) expect(m).toBeCloseTo(0.7, 1);
    expect(() => fitMeterMaps(probs, labels, n, all, { targetMedian: 1 })).toThrow(/targetMedian/);
  });

  it('survives degenerate inputs: tied probabilities, a median at 0, no usable emotion', () => {
    const n = 140;
    const probs = new Float32Array(n * 7);
    const labels = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      const y = i % 2 === 0 ? 0 : 1;
      labels[i] = y;
      // angry faces: all exactly 0.4 (ties); disgust faces: probability 0 for disgust.
      probs[i * 7 + y] = y === 0 ? 0.4 : 0;
      probs[i * 7 + 6] = 1 - (probs[i * 7 + y] as number);
    }
    const fit = fitMeterMaps(probs, labels, n, [0, 1]);
    // Ties collapse the quantile knots into the median.
    expect(fit.meter.angry.x).toEqual([0, expect.closeTo(0.4, 6), 1]);
    expect(fit.identity[0]).toEqual({ emotion: 'disgust', reason: 'median probability 0.0000 at the edge' });
    expect(() => fitMeterMaps(probs, labels, n, [1])).toThrow(/no emotion has enough faces/);
    expect(() => fitMeterMaps(new Float32Array(0), new Int8Array(0), 0, all)).toThrow(/no emotion has enough faces/);
    // Unlabelled rows (-1) and non-finite outputs are ignored.
    const withNoise = Float32Array.from(probs);
    withNoise[2 * 7] = Number.NaN;
    const labelsNoise = Int8Array.from(labels);
    labelsNoise[4] = -1;
    expect(fitMeterMaps(withNoise, labelsNoise, n, [0]).faces.angry).toBe(68);
  });
});

describe('countArgmaxChanges / otherFacesQuantile', () => {
  it('the temperature never changes the top class', () => {
    const { probs, n } = fixture(700);
    for (const t of [0.5, 1.06, 3]) expect(countArgmaxChanges(probs, temperatureAll(t, probs, n), n)).toBe(0);
    const swapped = Float32Array.from(probs);
    swapped.set([0, 0, 0, 1, 0, 0, 0], 0);
    swapped.set([1, 0, 0, 0, 0, 0, 0], 7);
    expect(countArgmaxChanges(probs, swapped, n)).toBeGreaterThanOrEqual(1);
  });
  it("takes a column's quantile over the faces of the other emotions", () => {
    const probs = new Float32Array(3 * 7);
    probs[3] = 0.9; // row 0 labelled happy: left out for happy
    probs[7 + 3] = 0.2;
    probs[14 + 3] = 0.4;
    expect(otherFacesQuantile(probs, [3, 0, 4], 3, 3, 0.5)).toBeCloseTo(0.3, 6);
    expect(otherFacesQuantile(probs, [3, 3, 3], 3, 3, 0.5)).toBeNull();
  });
});
