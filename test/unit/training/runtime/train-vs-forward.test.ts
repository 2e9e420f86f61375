import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  measureTrainVsForward,
  median,
  summarise,
  syntheticBatch,
} from '../../../../training/runtime/train-vs-forward.ts';
import { initTrainingBackend } from '../../../../training/runtime/training-backend.ts';

beforeAll(async () => {
  await initTrainingBackend({ force: 'wasm' });
});

describe('bench:ml measurement', () => {
  it('median ignores outliers and rejects an empty list', () => {
    expect(median([5, 1, 100])).toBe(5);
    expect(median([4, 1, 3, 100])).toBe(3.5);
    expect(() => median([])).toThrow(/no values/);
  });

  it('summarise turns times into img/s and the train/forward ratio', () => {
    const t = (wallMs: number) => ({ wallMs, cpuMs: wallMs / 2 });
    const r = summarise('wasm', 'seed', 64, [t(100), t(110), t(90)], [t(300), t(350), t(310)]);
    expect(r.forwardMs).toBe(100);
    expect(r.trainMs).toBe(310);
    expect(r.forwardCpuMs).toBe(50);
    expect(r.trainToForwardCpuRatio).toBeCloseTo(3.1);
    expect(r.forwardImgPerSec).toBeCloseTo(640);
    expect(r.trainImgPerSec).toBeCloseTo(64000 / 310);
    expect(r.trainToForwardRatio).toBeCloseTo(3.1);
  });

  it('syntheticBatch is deterministic, one-hot and in [0,1)', () => {
    const a = syntheticBatch(3, 5);
    const b = syntheticBatch(3, 5);
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    expect(a.x.shape).toEqual([3, 48, 48, 1]);
    expect(Array.from(a.y.sum(1).dataSync())).toEqual([1, 1, 1]);
    expect(a.x.max().dataSync()[0]).toBeLessThan(1);
    expect(a.x.min().dataSync()[0]).toBeGreaterThanOrEqual(0);
    tf.dispose([a.x, a.y, b.x, b.y]);
  });

  it('measures a real seed model on wasm without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const r = await measureTrainVsForward('seed', 2, 1);
    expect(r).toMatchObject({ backend: 'wasm', model: 'seed', batch: 2, iters: 1 });
    expect(r.forwardMs).toBeGreaterThan(0);
    expect(r.trainMs).toBeGreaterThan(0);
    expect(r.trainCpuMs).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
