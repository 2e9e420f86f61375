/**
 * Measures one model's forward (model.predict) and train-step
 * (model.trainOnBatch: forward, backward, optimizer update) time on the active
 * backend, on the same batch. Used by `npm run bench:ml`.
 */
import * as tf from '@tensorflow/tfjs';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../../../shared/frame.ts';
import { type Architecture, buildArchitecture } from '../model/architectures.ts';

export interface TrainVsForward {
  backend: string;
  model: Architecture;
  batch: number;
  iters: number;
  forwardMs: number;
  trainMs: number;
  forwardImgPerSec: number;
  trainImgPerSec: number;
  trainToForwardRatio: number;
}

/** Median, which shrugs off the odd iteration slowed by another process on a shared machine. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function summarise(
  backend: string,
  model: Architecture,
  batch: number,
  forwardTimes: readonly number[],
  trainTimes: readonly number[],
): TrainVsForward {
  const forwardMs = median(forwardTimes);
  const trainMs = median(trainTimes);
  return {
    backend,
    model,
    batch,
    iters: Math.min(forwardTimes.length, trainTimes.length),
    forwardMs,
    trainMs,
    forwardImgPerSec: (batch * 1000) / forwardMs,
    trainImgPerSec: (batch * 1000) / trainMs,
    trainToForwardRatio: trainMs / forwardMs,
  };
}

/** Deterministic pseudo-random batch (an LCG), so every backend sees the same pixels and labels. */
export function syntheticBatch(batch: number, seed = 1): { x: tf.Tensor4D; y: tf.Tensor2D } {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pixels = new Float32Array(batch * FRAME_HEIGHT * FRAME_WIDTH).map(() => next());
  const labels = new Float32Array(batch * EMOTION_COUNT);
  for (let i = 0; i < batch; i++) labels[i * EMOTION_COUNT + Math.floor(next() * EMOTION_COUNT)] = 1;
  return {
    x: tf.tensor4d(pixels, [batch, FRAME_HEIGHT, FRAME_WIDTH, 1]),
    y: tf.tensor2d(labels, [batch, EMOTION_COUNT]),
  };
}

export async function measureTrainVsForward(
  model: Architecture,
  batch: number,
  iters: number,
): Promise<TrainVsForward> {
  const net = buildArchitecture(model);
  net.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const { x, y } = syntheticBatch(batch);
  try {
    // Warm-up: first calls pay for kernel setup, weight packing and JIT.
    tf.tidy(() => (net.predict(x) as tf.Tensor).dataSync());
    await net.trainOnBatch(x, y);
    const forwardTimes: number[] = [];
    const trainTimes: number[] = [];
    for (let i = 0; i < iters; i++) {
      let t0 = performance.now();
      // dataSync waits for the result, so the time covers the whole forward pass.
      tf.tidy(() => (net.predict(x) as tf.Tensor).dataSync());
      forwardTimes.push(performance.now() - t0);
      t0 = performance.now();
      await net.trainOnBatch(x, y); // resolves after reading the loss back
      trainTimes.push(performance.now() - t0);
    }
    return summarise(tf.getBackend(), model, batch, forwardTimes, trainTimes);
  } finally {
    tf.dispose([x, y]);
    net.dispose();
    net.optimizer?.dispose();
  }
}
