/**
 * Training-mode batch normalisation over NHWC as one op with a hand-written
 * gradient, computed in plain JS over the tensor's data. tfjs-layers builds it from
 * ~10 generic ops (moments, broadcasts, reductions over non-last axes) whose
 * forward and backward cost more than the convolutions on the wasm backend.
 */
import * as tf from '@tensorflow/tfjs';

export interface BatchStats {
  mean: Float32Array;
  variance: Float32Array;
}

/**
 * y = gamma · (x − mean) / sqrt(var + eps) + beta with the batch's own statistics.
 * Calls `onStats` with the (biased) batch mean and variance for the moving averages.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  onStats: (s: BatchStats) => void,
): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xt, gt, bt] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const shape = xt.shape;
    const C = shape[shape.length - 1] as number;
    const xs = xt.dataSync() as Float32Array;
    const g = gt.dataSync() as Float32Array;
    const b = bt.dataSync() as Float32Array;
    const n = xs.length;
    const M = n / C;
    const sum = new Float64Array(C);
    const sumSq = new Float64Array(C);
    for (let i = 0; i < n; i += C) {
      for (let c = 0; c < C; c++) {
        const v = xs[i + c] as number;
        sum[c] = (sum[c] as number) + v;
        sumSq[c] = (sumSq[c] as number) + v * v;
      }
    }
    const mean = new Float32Array(C);
    const variance = new Float32Array(C);
    const invStd = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const m = (sum[c] as number) / M;
      const v = Math.max(0, (sumSq[c] as number) / M - m * m);
      mean[c] = m;
      variance[c] = v;
      invStd[c] = 1 / Math.sqrt(v + epsilon);
    }
    onStats({ mean, variance });
    const xhat = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i += C) {
      for (let c = 0; c < C; c++) {
        const h = ((xs[i + c] as number) - (mean[c] as number)) * (invStd[c] as number);
        xhat[i + c] = h;
        y[i + c] = h * (g[c] as number) + (b[c] as number);
      }
    }
    const value = tf.tensor(y, shape);
    const gradFunc = (dy: tf.Tensor) => {
      const d = dy.dataSync() as Float32Array;
      const dBeta = new Float64Array(C);
      const dGamma = new Float64Array(C);
      for (let i = 0; i < n; i += C) {
        for (let c = 0; c < C; c++) {
          const v = d[i + c] as number;
          dBeta[c] = (dBeta[c] as number) + v;
          dGamma[c] = (dGamma[c] as number) + v * (xhat[i + c] as number);
        }
      }
      // dx = gamma·invStd/M · (M·dy − Σdy − xhat·Σ(dy·xhat))
      const k = new Float32Array(C);
      const mb = new Float32Array(C);
      const mg = new Float32Array(C);
      for (let c = 0; c < C; c++) {
        k[c] = (g[c] as number) * (invStd[c] as number);
        mb[c] = (dBeta[c] as number) / M;
        mg[c] = (dGamma[c] as number) / M;
      }
      const dx = new Float32Array(n);
      for (let i = 0; i < n; i += C) {
        for (let c = 0; c < C; c++) {
          dx[i + c] =
            (k[c] as number) * ((d[i + c] as number) - (mb[c] as number) - (xhat[i + c] as number) * (mg[c] as number));
        }
      }
      return [
        tf.tensor(dx, shape),
        tf.tensor(Float32Array.from(dGamma), [C]),
        tf.tensor(Float32Array.from(dBeta), [C]),
      ];
    };
    return { value, gradFunc };
  });
  return (op as (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor)(x, gamma, beta);
}
