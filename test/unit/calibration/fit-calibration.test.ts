import { describe, expect, it } from 'vitest';
import {
  calibrateAll,
  classMedians,
  crossEntropyAt,
  fitBiases,
  fitTemperature,
  median,
} from '../../../server/ml/calibration/fit-calibration.ts';
import { createRng } from '../../../server/ml/data/rng.ts';
import { applyCalibration } from '../../../server/ml/engine/calibration.ts';

/**
 * A fixture like the served model's PublicTest output: each face's true class gets a
 * class-dependent share of the probability (happy faces are read confidently, sad
 * ones weakly), the rest spread at random.
 */
function fixture(n: number, seed = 7) {
  const rng = createRng(seed);
  const strength = [0.55, 0.3, 0.45, 0.85, 0.3, 0.7, 0.35];
  const probs = new Float32Array(n * 7);
  const labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % 7;
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
    const targets = calibrateAll({ temperature: 2, bias: [0, 0, 0, 0, 0, 0, 0] }, probs, n);
    const t = fitTemperature(probs, targets, n);
    expect(t).toBeGreaterThan(1.9);
    expect(t).toBeLessThan(2.1);
    expect(crossEntropyAt(probs, targets, n, t)).toBeLessThan(crossEntropyAt(probs, targets, n, 1));
  });
});

describe('fitBiases', () => {
  it('equalises the per-emotion median meter over the given emotions', () => {
    const { probs, labels, n } = fixture(1400);
    const before = classMedians(probs, labels, n) as number[];
    expect(Math.max(...before) - Math.min(...before)).toBeGreaterThan(0.3);
    const fit = fitBiases(probs, labels, n, 1, [0, 1, 2, 3, 4, 5, 6]);
    const after = classMedians(calibrateAll({ temperature: 1, bias: fit.bias }, probs, n), labels, n) as number[];
    expect(Math.max(...after) - Math.min(...after)).toBeLessThan(0.005);
    // Weakly read emotions are raised, confidently read ones lowered.
    expect(fit.bias[4]).toBeGreaterThan(0);
    expect(fit.bias[3]).toBeLessThan(0);
  });

  it('leaves emotions outside the set at bias 0 and equalises the rest', () => {
    const { probs, labels, n } = fixture(1400);
    const fit = fitBiases(probs, labels, n, 1, [0, 3, 5]);
    expect(fit.bias[1]).toBe(0);
    expect(fit.bias[4]).toBe(0);
    const after = classMedians(calibrateAll({ temperature: 1, bias: fit.bias }, probs, n), labels, n) as number[];
    const set = [after[0], after[3], after[5]] as number[];
    expect(Math.max(...set) - Math.min(...set)).toBeLessThan(0.005);
  });

  it('gives a calibration that preserves the ranking of faces for each emotion', () => {
    const { probs, labels, n } = fixture(140);
    const fit = fitBiases(probs, labels, n, 1.4, [0, 1, 2, 3, 4, 5, 6]);
    // Two faces that differ only in how much sad evidence they carry keep their order.
    const a = [0.1, 0.1, 0.1, 0.2, 0.2, 0.1, 0.2];
    const b = [0.08, 0.08, 0.08, 0.16, 0.36, 0.08, 0.16];
    const qa = applyCalibration({ temperature: 1.4, bias: fit.bias }, a)[4] as number;
    const qb = applyCalibration({ temperature: 1.4, bias: fit.bias }, b)[4] as number;
    expect(qb).toBeGreaterThan(qa);
  });
});
