import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTraining } from '../../../../training/retrain/fast-batch-norm.ts';

/** tfjs's own composition: batch moments, then batchNorm, differentiated by tfjs. */
function reference(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, eps);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

describe('fused training batch norm', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const eps = 1e-3;
  const x = tf.randomNormal([4, 5, 5, 3], 1, 2, 'float32', 7);
  const gamma = tf.variable(tf.tensor1d([1.5, 0.5, 2]));
  const beta = tf.variable(tf.tensor1d([0.1, -0.2, 0.3]));
  // A fixed random projection makes the loss depend on every output element differently.
  const w = tf.randomNormal([4, 5, 5, 3], 0, 1, 'float32', 8);
  const fused = (xx: tf.Tensor) =>
    tf.sum(
      tf.mul(
        batchNormTraining(xx, gamma, beta, eps, () => {}),
        w,
      ),
    ) as tf.Scalar;
  const plain = (xx: tf.Tensor) => tf.sum(tf.mul(reference(xx, gamma, beta, eps), w)) as tf.Scalar;

  it('normalises with the batch statistics and reports them for the moving averages', () => {
    let stats: { mean: Float32Array; variance: Float32Array } | undefined;
    const y = batchNormTraining(x, gamma, beta, eps, (s) => {
      stats = s;
    });
    expect(maxAbsDiff(y, reference(x, gamma, beta, eps))).toBeLessThan(1e-5);
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    expect(Array.from(stats?.mean ?? [])).toEqual(Array.from(mean.dataSync()).map((v) => expect.closeTo(v, 5)));
    expect(Array.from(stats?.variance ?? [])).toEqual(Array.from(variance.dataSync()).map((v) => expect.closeTo(v, 4)));
  });

  it('has the gradient of the composed ops for x, gamma and beta', () => {
    const [dxFused] = tf.grads(fused)([x]);
    const [dxPlain] = tf.grads(plain)([x]);
    expect(maxAbsDiff(dxFused as tf.Tensor, dxPlain as tf.Tensor)).toBeLessThan(1e-5);
    const a = tf.variableGrads(() => fused(x), [gamma, beta]);
    const b = tf.variableGrads(() => plain(x), [gamma, beta]);
    for (const name of [gamma.name, beta.name]) {
      expect(maxAbsDiff(a.grads[name] as tf.Tensor, b.grads[name] as tf.Tensor)).toBeLessThan(1e-4);
    }
    expect(a.value.dataSync()[0]).toBeCloseTo(b.value.dataSync()[0] as number, 4);
  });
});
