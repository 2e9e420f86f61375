/**
 * Mean's gradient without tf.ones. tfjs-core's spreads dy back over the reduced
 * axes as dy·ones(x.shape)/n, and ones() fills a fresh Float32Array element by
 * element in JavaScript, then uploads it to the backend: in a vgg16 train step
 * on wasm (16 BatchNorm moments at batch 64) node --cpu-prof put ~11% of all
 * CPU time in that fill. Broadcasting dy/n (a Tile, one memcpy-doubling pass on
 * wasm) gives the same values, since dy·1 = dy exactly, so every backend,
 * the cpu reference included, computes the same numbers as before.
 */
import * as tf from '@tensorflow/tfjs';

export const meanGradConfig: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
    const reduceSize = axes.reduce((p, a) => p * (x.shape[a] as number), 1);
    const derX = () => {
      const expandedShape = x.shape.map((s, d) => (axes.includes(d) ? 1 : s));
      // Divide the small dy first: one pass over x's size (the broadcast) instead of two.
      return tf.broadcastTo(tf.div(tf.reshape(dy as tf.Tensor, expandedShape), reduceSize), x.shape);
    };
    return { x: derX };
  },
};

/** Installs meanGradConfig in tfjs's (global, all-backend) gradient registry. Idempotent. */
export function registerMeanGrad(): void {
  tf.registerGradient(meanGradConfig);
}
