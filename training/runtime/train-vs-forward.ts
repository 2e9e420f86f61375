/**
 * Measures one model's forward (model.predict, the whole batch in one pass
 * rather than predict's default chunks of 32) and train-step
 * (model.trainOnBatch: forward, backward, optimizer update) time on the active
 * backend, on the same batch. Used by `npm run bench:ml`.
 */
import * as tf from '@tensorflow/tfjs';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../../shared/frame.ts';
import { type Architecture, buildArchitecture } from '../model/architectures.ts';

export interface TrainVsForward {
  backend: string;
  model: Architecture;
  batch: number;
  iters: number;
  forwardMs: number;
  trainMs: number;
  /** CPU time of this process (median): robust to other processes sharing the cores. */
  forwardCpuMs: number;
  trainCpuMs: number;
  forwardImgPerSec: number;
  trainImgPerSec: number;
  trainToForwardRatio: number;
  trainToForwardCpuRatio: number;
}

export interface Timing {
  wallMs: number;
  cpuMs: number;
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
  forwardTimes: readonly Timing[],
  trainTimes: readonly Timing[],
): TrainVsForward {
  const forwardMs = median(forwardTimes.map((t) => t.wallMs));
  const trainMs = median(trainTimes.map((t) => t.wallMs));
  const forwardCpuMs = median(forwardTimes.map((t) => t.cpuMs));
  const trainCpuMs = median(trainTimes.map((t) => t.cpuMs));
  return {
    backend,
    model,
    batch,
    iters: Math.min(forwardTimes.length, trainTimes.length),
    forwardMs,
    trainMs,
    forwardImgPerSec: (batch * 1000) / forwardMs,
    trainImgPerSec: (batch * 1000) / trainMs,
    forwardCpuMs,
    trainCpuMs,
    trainToForwardRatio: trainMs / forwardMs,
    trainToForwardCpuRatio: trainCpuMs / forwardCpuMs,
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

async function timed(fn: () => unknown): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * One warm-up, then up to `iters` timed forward + train-step pairs; stops early
 * (after at least one pair) once `maxMs` of timed work has passed, so slow
 * backends stay benchmarkable.
 */
export async function measureTrainVsForward(
  model: Architecture,
  batch: number,
  iters: number,
  maxMs = Number.POSITIVE_INFINITY,
): Promise<TrainVsForward> {
  const net = buildArchitecture(model);
  net.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const { x, y } = syntheticBatch(batch);
  try {
    // Warm-up: first calls pay for kernel setup, weight packing and JIT.
    tf.tidy(() => (net.predict(x, { batchSize: batch }) as tf.Tensor).dataSync());
    await net.trainOnBatch(x, y);
    const forwardTimes: Timing[] = [];
    const trainTimes: Timing[] = [];
    const start = performance.now();
    for (let i = 0; i < iters && (i === 0 || performance.now() - start < maxMs); i++) {
      // dataSync waits for the result, so the time covers the whole forward pass.
      forwardTimes.push(
        await timed(() => tf.tidy(() => (net.predict(x, { batchSize: batch }) as tf.Tensor).dataSync())),
      );
      trainTimes.push(await timed(() => net.trainOnBatch(x, y))); // resolves after reading the loss back
    }
    return summarise(tf.getBackend(), model, batch, forwardTimes, trainTimes);
  } finally {
    tf.dispose([x, y]);
    net.dispose();
    net.optimizer?.dispose();
  }
}
