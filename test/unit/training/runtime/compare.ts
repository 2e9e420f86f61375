/** Helpers for checking wasm kernels against the reference cpu backend. */
import * as tf from '@tensorflow/tfjs';

/** Deterministic values in [-1, 1) (an LCG), so both backends get identical inputs. */
export function randomValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

export function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

/** max|a−b| / max|b|: the error relative to the reference's scale. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / (scale || 1);
}

export interface BackendResult {
  values: Float32Array[];
  shapes: number[][];
}

/** Runs `fn` with `backend` active and copies its outputs out before disposing them. */
export async function runOn(backend: 'wasm' | 'cpu', fn: () => tf.Tensor | tf.Tensor[]): Promise<BackendResult> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const result = {
    values: list.map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>)),
    shapes: list.map((t) => [...t.shape]),
  };
  tf.dispose(list);
  if (tf.memory().numTensors !== before)
    throw new Error(`${backend}: leaked ${tf.memory().numTensors - before} tensors`);
  return result;
}

/** Runs `fn` on wasm and cpu; returns each output's relative error and checks the shapes agree. */
export async function compareBackends(fn: () => tf.Tensor | tf.Tensor[]): Promise<number[]> {
  const wasm = await runOn('wasm', fn);
  const cpu = await runOn('cpu', fn);
  return wasm.values.map((v, i) => {
    if (JSON.stringify(wasm.shapes[i]) !== JSON.stringify(cpu.shapes[i])) return Number.POSITIVE_INFINITY;
    return relativeError(v, cpu.values[i] as Float32Array);
  });
}
