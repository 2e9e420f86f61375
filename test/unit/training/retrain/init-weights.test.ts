import { describe, expect, it } from 'vitest';
import { createRng } from '../../../../training/data/rng.ts';
import { initialWeights } from '../../../../training/retrain/init-weights.ts';
import type { WeightSpec } from '../../../../training/retrain/messages.ts';

const spec = (name: string, shape: number[], trainable = true): WeightSpec => ({
  name,
  shape,
  size: shape.reduce((a, b) => a * b, 1),
  trainable,
});
const SPECS = [
  spec('conv/kernel', [3, 3, 32, 64]),
  spec('bn/gamma', [64]),
  spec('bn/beta', [64]),
  spec('dense/kernel', [128, 7]),
  spec('dense/bias', [7]),
  spec('bn/moving_mean', [64], false),
  spec('bn/moving_variance', [64], false),
];

const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('initial weights', () => {
  it('he: conv kernels have std √(2/fan-in), dense kernels stay within the Glorot limit', () => {
    const [conv, , , dense] = initialWeights(SPECS, createRng(1), 'he') as Float32Array[];
    expect(std(conv as Float32Array)).toBeCloseTo(Math.sqrt(2 / 288), 2);
    expect(maxAbs(dense as Float32Array)).toBeLessThanOrEqual(Math.sqrt(6 / (128 + 7)));
  });

  it('pytorch: every kernel is uniform within ±1/√fan-in (std 1/√(3·fan-in)), much smaller than he', () => {
    const w = initialWeights(SPECS, createRng(1), 'pytorch');
    const [conv, , , dense] = w as Float32Array[];
    expect(maxAbs(conv as Float32Array)).toBeLessThanOrEqual(1 / Math.sqrt(288));
    expect(std(conv as Float32Array)).toBeCloseTo(1 / Math.sqrt(3 * 288), 2);
    expect(maxAbs(dense as Float32Array)).toBeLessThanOrEqual(1 / Math.sqrt(128));
    const he = initialWeights(SPECS, createRng(1), 'he')[0] as Float32Array;
    expect(std(he) / std(conv as Float32Array)).toBeGreaterThan(2.3);
  });

  it('starts batch norm as the identity and biases at zero, with either scheme, and is seeded', () => {
    for (const scheme of ['he', 'pytorch'] as const) {
      const w = initialWeights(SPECS, createRng(3), scheme);
      expect(Array.from(w[1] as Float32Array).every((v) => v === 1)).toBe(true);
      expect(Array.from(w[2] as Float32Array).every((v) => v === 0)).toBe(true);
      expect(Array.from(w[4] as Float32Array).every((v) => v === 0)).toBe(true);
      expect(Array.from(w[5] as Float32Array).every((v) => v === 0)).toBe(true);
      expect(Array.from(w[6] as Float32Array).every((v) => v === 1)).toBe(true);
      expect(initialWeights(SPECS, createRng(3), scheme)).toEqual(w);
    }
  });
});
