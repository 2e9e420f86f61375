/**
 * The factored FusedBatchNorm gradient registered for training gives the
 * gradient of batch norm written out in elementary ops (whose gradients are
 * tfjs's own), for every input, on wasm and on the cpu reference; shapes it
 * does not handle go to the gradient it replaced.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeBatchNormGrad } from '../../../../training/runtime/batch-norm-grad.ts';
import { initTrainingBackend } from '../../../../training/runtime/training-backend.ts';
import { randomTensor, relativeError, runOn } from './compare.ts';

beforeAll(async () => {
  await initTrainingBackend({ force: 'wasm' });
});

const EPS = 1e-3;
type Norm = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor;
const fused: Norm = (x, m, v, g, b) => tf.batchNorm(x, m, v, b, g, EPS);
const composed: Norm = (x, m, v, g, b) => tf.add(tf.mul(tf.mul(tf.sub(x, m), tf.rsqrt(tf.add(v, EPS))), g), b);

/** Gradients of Σ norm(x; moments of x)·w with respect to x, gamma and beta: the training-mode path. */
function grads(norm: Norm, shape: number[], statShape: number[]): tf.Tensor[] {
  const x = randomTensor(shape, 41);
  const gamma = tf.add(randomTensor([shape.at(-1) as number], 42), 1.5);
  const beta = randomTensor([shape.at(-1) as number], 43);
  const w = randomTensor(shape, 44);
  const axes = shape.slice(0, -1).map((_, i) => i);
  const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, axes);
    const r = (t: tf.Tensor) => tf.reshape(t, statShape);
    return tf.sum(tf.mul(norm(a, r(mean), r(variance), r(g), r(b)), w));
  };
  return tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, gamma, beta]);
}

describe('FusedBatchNorm gradient', () => {
  it.each([
    ['[C] statistics (tfjs-layers training), NHWC', [3, 4, 5, 8], [8]],
    ['[C] statistics, 2-D', [16, 6], [6]],
  ])('%s: matches the composed ops for x, gamma and beta', async (_name, shape, statShape) => {
    for (const backend of ['wasm', 'cpu'] as const) {
      const got = await runOn(backend, () => grads(fused, shape, statShape));
      const want = await runOn(backend, () => grads(composed, shape, statShape));
      ['dx', 'dgamma', 'dbeta'].forEach((name, i) => {
        const g = want.values[i] as Float32Array;
        expect(
          g.some((v) => v !== 0),
          name,
        ).toBe(true);
        expect(relativeError(got.values[i] as Float32Array, g), `${backend} ${name}`).toBeLessThan(1e-4);
      });
    }
  });

  it('hands other shapes to the gradient it replaced', () => {
    const sentinel = { x: () => tf.scalar(7) };
    const original: tf.GradConfig = { kernelName: 'FusedBatchNorm', gradFunc: () => sentinel };
    const stat = tf.zeros([1, 1, 1, 4]);
    const x = tf.zeros([2, 3, 3, 4]);
    const out = makeBatchNormGrad(original).gradFunc(x, [x, stat, stat, stat], { varianceEpsilon: EPS });
    expect(out).toBe(sentinel);
    tf.dispose([stat, x]);
  });
});
