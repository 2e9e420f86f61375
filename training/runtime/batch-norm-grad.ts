/**
 * FusedBatchNorm's gradient with per-channel terms factored out of the sums.
 * tfjs-core's builds each of dx, dmean, dvariance, dscale and doffset from its
 * own chain of full-size ops (a Tile of 1/σ to the activation size, products,
 * then a reduction): ~14 passes over the activation per BatchNorm layer. With
 * k = scale/σ, S = Σdy and P = Σdy·(x − mean) over the batch axes:
 *   dx = dy·k, dmean = −k·S, dvariance = −½·scale/σ³·P, dscale = P/σ, doffset = S,
 * five passes (x − mean, dy·(x − mean), two sums, dy·k), the per-channel
 * products on C floats. Same maths; the rounding differs from tfjs's only by
 * the order of the per-channel factors. Used only for the training-mode case
 * tfjs-layers produces (per-channel [C] statistics and scale); anything else
 * goes to the gradient it replaces.
 */
import * as tf from '@tensorflow/tfjs';

const NAME = 'FusedBatchNorm';

export function makeBatchNormGrad(original: tf.GradConfig | undefined): tf.GradConfig {
  return {
    kernelName: NAME,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      if (mean.rank !== 1 || !scale || scale.rank !== 1 || Array.isArray(dy)) {
        if (!original) throw new Error('FusedBatchNorm: no gradient to fall back to');
        return original.gradFunc(dy, saved, attrs);
      }
      const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const [dx, dMean, dVariance, dScale, dOffset] = tf.tidy(() => {
        const invStd = tf.rsqrt(tf.add(variance, eps));
        const k = tf.mul(invStd, scale);
        const sumDy = tf.sum(dy, axes);
        const sumDyXc = tf.sum(tf.mul(dy, tf.sub(x, mean)), axes);
        const minusHalfRCube = tf.mul(tf.mul(tf.mul(invStd, invStd), invStd), -0.5);
        return [
          tf.mul(dy, k),
          tf.neg(tf.mul(k, sumDy)),
          tf.mul(tf.mul(minusHalfRCube, scale), sumDyXc),
          tf.mul(invStd, sumDyXc),
          sumDy,
        ];
      }) as tf.Tensor[];
      return {
        x: () => dx as tf.Tensor,
        mean: () => dMean as tf.Tensor,
        variance: () => dVariance as tf.Tensor,
        scale: () => dScale as tf.Tensor,
        offset: () => dOffset as tf.Tensor,
      };
    },
  };
}

let installed: tf.GradConfig | undefined;

/** Installs the gradient in tfjs's (global, all-backend) registry, keeping the original as fallback. Idempotent. */
export function registerBatchNormGrad(): void {
  const current = tf.getGradient(NAME) as tf.GradConfig | undefined;
  if (installed && current === installed) return;
  installed = makeBatchNormGrad(current);
  tf.registerGradient(installed);
}
