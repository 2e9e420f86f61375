import { describe, expect, it } from 'vitest';
import { FRAME_BYTES } from '../../../../shared/frame.ts';
import { createRng } from '../../../../training/data/rng.ts';
import { evaluateClassification } from '../../../../training/eval/classification-metrics.ts';
import { adamWStep, createAdamWState } from '../../../../training/retrain/adamw.ts';
import { augmentInto, DEFAULT_AUGMENT } from '../../../../training/retrain/augment.ts';
import { oneCycleLr } from '../../../../training/retrain/schedule.ts';
import { classWeights } from '../../../../training/retrain/trainer.ts';

describe('augmentation', () => {
  const src = new Uint8Array(FRAME_BYTES).map((_, i) => (i % 48) * 5);
  const none = { maxRotationDeg: 0, maxScale: 0, maxShift: 0, flip: false, maxContrast: 0, maxBrightness: 0 };

  it('is the identity (normalised) with all ranges zero', () => {
    const out = new Float32Array(FRAME_BYTES);
    augmentInto(src, 0, out, 0, createRng(1), none);
    for (let i = 0; i < FRAME_BYTES; i++) expect(out[i]).toBeCloseTo((src[i] as number) / 255, 5);
  });

  it('mirrors rows when it flips', () => {
    const out = new Float32Array(FRAME_BYTES);
    const alwaysFlip = { next: () => 0, state: () => 0 };
    augmentInto(src, 0, out, 0, alwaysFlip, { ...none, flip: true });
    expect(out[0]).toBeCloseTo((src[47] as number) / 255, 5);
    expect(out[47]).toBeCloseTo((src[0] as number) / 255, 5);
  });

  it('is deterministic for a seed, varies across seeds, and stays in [0,1]', () => {
    const a = new Float32Array(FRAME_BYTES);
    const b = new Float32Array(FRAME_BYTES);
    const c = new Float32Array(FRAME_BYTES);
    augmentInto(src, 0, a, 0, createRng(5), DEFAULT_AUGMENT);
    augmentInto(src, 0, b, 0, createRng(5), DEFAULT_AUGMENT);
    augmentInto(src, 0, c, 0, createRng(6), DEFAULT_AUGMENT);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
  });
});

describe('one-cycle schedule', () => {
  const cfg = { maxLr: 1e-3, totalSteps: 100, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 };
  it('warms up to the peak, then anneals to the floor', () => {
    expect(oneCycleLr(0, cfg)).toBeCloseTo(4e-5, 10);
    expect(oneCycleLr(30, cfg)).toBeCloseTo(1e-3, 10);
    expect(oneCycleLr(15, cfg)).toBeGreaterThan(oneCycleLr(5, cfg));
    expect(oneCycleLr(60, cfg)).toBeLessThan(oneCycleLr(40, cfg));
    expect(oneCycleLr(100, cfg)).toBeCloseTo(1e-7, 10);
  });
});

describe('AdamW', () => {
  it('matches a hand-computed first step, with decay only where asked', () => {
    const p = [new Float32Array([1, -2]), new Float32Array([3])];
    const g = [new Float32Array([0.5, -0.5]), new Float32Array([1])];
    const s = createAdamWState([2, 1]);
    adamWStep(p, g, s, 0.1, [true, false], { beta1: 0.9, beta2: 0.999, epsilon: 0, weightDecay: 0.1 });
    // First Adam step moves each weight by lr * sign(g); decay shrinks by (1 - lr*wd).
    expect(p[0]![0]).toBeCloseTo(1 * 0.99 - 0.1, 5);
    expect(p[0]![1]).toBeCloseTo(-2 * 0.99 + 0.1, 5);
    expect(p[1]![0]).toBeCloseTo(3 - 0.1, 5);
    expect(s.step).toBe(1);
  });
});

describe('class weights', () => {
  it('up-weights rare classes and averages to 1 over the rows', () => {
    const labels = new Uint8Array([0, 0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 6]);
    const w = classWeights(labels, labels.length, 0.5);
    expect(w[1]).toBeGreaterThan(w[0]!);
    const avg = Array.from(labels).reduce((s, l) => s + w[l]!, 0) / labels.length;
    expect(avg).toBeCloseTo(1, 6);
    expect(classWeights(labels, labels.length, 0)).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });
});

describe('classification metrics', () => {
  it('computes accuracy, per-class figures, macro-F1 and the confusion matrix', () => {
    const labels = [0, 0, 3, 3];
    const onehot = (k: number) => Array.from({ length: 7 }, (_, i) => (i === k ? 1 : 0));
    const probs = new Float32Array([...onehot(0), ...onehot(3), ...onehot(3), ...onehot(3)]);
    const r = evaluateClassification(labels, probs, 4);
    expect(r.accuracy).toBe(0.75);
    expect(r.confusion[0]).toEqual([1, 0, 0, 1, 0, 0, 0]);
    expect(r.perClass.angry).toEqual({ precision: 1, recall: 0.5, f1: 2 / 3, support: 2 });
    expect(r.perClass.happy?.precision).toBeCloseTo(2 / 3);
    expect(r.perClass.sad).toBeUndefined();
    expect(r.macroF1).toBeCloseTo((2 / 3 + 0.8) / 2);
  });
});
