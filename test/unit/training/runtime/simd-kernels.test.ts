import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { assembleTrainingKernels } from '../../../../scripts/wasm-kernels-source.ts';
import { initTrainingBackend } from '../../../../training/runtime/training-backend.ts';
import { simdTrainingKernels } from '../../../../training/runtime/wasm-kernels/simd/training-kernels.ts';
import { TRAINING_KERNELS_WASM_BASE64 } from '../../../../training/runtime/wasm-kernels/simd/training-kernels.wasm.ts';

beforeAll(async () => {
  await initTrainingBackend({ force: 'wasm' });
});

describe('SIMD training kernels', () => {
  it('embed exactly the binary assembled from training-kernels.wat (run npm run build:wasm-kernels)', async () => {
    const assembled = Buffer.from(await assembleTrainingKernels()).toString('base64');
    expect(TRAINING_KERNELS_WASM_BASE64).toBe(assembled);
  });

  it('instantiate on the wasm backend, once per backend', () => {
    const backend = tf.backend() as unknown as BackendWasm;
    const kernels = simdTrainingKernels(backend);
    expect(kernels).not.toBeNull();
    expect(simdTrainingKernels(backend)).toBe(kernels);
  });

  it('write dx in place on the heap: one 2×2 window per channel', () => {
    const backend = tf.backend() as unknown as BackendWasm;
    const kernels = simdTrainingKernels(backend);
    if (!kernels) throw new Error('no SIMD kernels');
    // Channel k's window holds its maximum at position k (row-major in the window).
    const xs = tf.tensor4d([9, 0, 0, 0, 0, 9, 0, 0, 0, 0, 9, 0, 0, 0, 0, 9], [1, 2, 2, 4]);
    const y = tf.tensor4d([9, 9, 9, 9], [1, 1, 1, 4]);
    const dy = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
    const dx = tf.zeros([1, 2, 2, 4]).add(-1); // garbage that the kernel must overwrite
    kernels.maxPoolGrad2x2(xs, y, dy, dx, { batch: 1, inH: 2, inW: 2, c: 4, outH: 1, outW: 1 });
    expect(Array.from(dx.dataSync())).toEqual([1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4]);
    tf.dispose([xs, y, dy, dx]);
  });
});
