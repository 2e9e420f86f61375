/**
 * The Mean gradient registered for training (no tf.ones) gives tfjs's values:
 * dy spread evenly over the reduced axes, on wasm and on the cpu reference.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanGradConfig } from '../../../../training/runtime/mean-grad.ts';
import { initTrainingBackend } from '../../../../training/runtime/training-backend.ts';
import { randomTensor, relativeError, runOn } from './compare.ts';

beforeAll(async () => {
  await initTrainingBackend({ force: 'wasm' });
});

describe('Mean gradient', () => {
  it('is the one registered once the training backend is initialised', () => {
    expect(tf.getGradient('Mean')).toBe(meanGradConfig);
  });

  const cases: [string, number[], number[], boolean][] = [
    ['BatchNorm moments: leading axes, keepDims', [2, 3, 4, 8], [0, 1, 2], true],
    ['global average pool: middle axes', [2, 3, 4, 8], [1, 2], false],
    ['loss: every axis', [5, 7], [0, 1], false],
    ['last axis', [3, 6], [1], false],
  ];
  it.each(cases)('%s: dy/n spread over the reduced axes, on wasm and cpu', async (_name, shape, axes, keepDims) => {
    const outShape = shape.map((s, d) => (axes.includes(d) ? 1 : s));
    const n = axes.reduce((p, a) => p * (shape[a] as number), 1);
    // Expected: x's gradient at every position is w at its reduced position / n.
    const w = randomTensor(outShape, 31);
    const wv = w.dataSync();
    w.dispose();
    const expected = new Float32Array(shape.reduce((p, s) => p * s, 1));
    const strides = shape.map((_, d) => shape.slice(d + 1).reduce((p, s) => p * s, 1));
    const outStrides = outShape.map((_, d) => outShape.slice(d + 1).reduce((p, s) => p * s, 1));
    for (let i = 0; i < expected.length; i++) {
      let o = 0;
      shape.forEach((_, d) => {
        const idx = Math.floor(i / (strides[d] as number)) % (shape[d] as number);
        if (!axes.includes(d)) o += idx * (outStrides[d] as number);
      });
      expected[i] = (wv[o] as number) / n;
    }
    for (const backend of ['wasm', 'cpu'] as const) {
      const r = await runOn(backend, () => {
        const x = randomTensor(shape, 32);
        const wt = randomTensor(outShape, 31);
        return tf.grad((a: tf.Tensor) => {
          const m = tf.mean(a, axes, keepDims);
          return tf.sum(tf.mul(m, tf.reshape(wt, m.shape)));
        })(x);
      });
      expect(relativeError(r.values[0] as Float32Array, expected), backend).toBeLessThan(1e-6);
    }
  });
});
