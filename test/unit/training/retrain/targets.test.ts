import { describe, expect, it } from 'vitest';
import { writeTarget } from '../../../../training/retrain/targets.ts';

const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

describe('writeTarget', () => {
  it('smooths the one-hot label', () => {
    const out = new Float32Array(7);
    writeTarget(out, 0, 3, 0.1);
    expect(out[3]).toBeCloseTo(0.9 + 0.1 / 7, 6);
    expect(out[0]).toBeCloseTo(0.1 / 7, 6);
    expect(sum(out)).toBeCloseTo(1, 6);
  });

  it('mixes in the teacher by its weight, at the given offsets', () => {
    const teacher = new Float32Array([0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0, 0, 0, 0, 0]);
    const out = new Float32Array(14).fill(-1);
    writeTarget(out, 7, 0, 0, { probs: teacher, offset: 7, weight: 0.25 });
    expect(Array.from(out.subarray(0, 7))).toEqual([-1, -1, -1, -1, -1, -1, -1]);
    expect(out[7]).toBeCloseTo(0.75 + 0.25 * 0.5, 6);
    expect(out[8]).toBeCloseTo(0.25 * 0.5, 6);
    expect(sum(out.subarray(7))).toBeCloseTo(1, 6);
  });

  it('is the teacher alone at weight 1 and the label alone at weight 0', () => {
    const teacher = new Float32Array([0.1, 0.2, 0.3, 0.1, 0.1, 0.1, 0.1]);
    const a = new Float32Array(7);
    writeTarget(a, 0, 5, 0.1, { probs: teacher, offset: 0, weight: 1 });
    expect(Array.from(a)).toEqual(Array.from(teacher));
    const b = new Float32Array(7);
    const c = new Float32Array(7);
    writeTarget(b, 0, 5, 0.1, { probs: teacher, offset: 0, weight: 0 });
    writeTarget(c, 0, 5, 0.1);
    expect(Array.from(b)).toEqual(Array.from(c));
  });
});
