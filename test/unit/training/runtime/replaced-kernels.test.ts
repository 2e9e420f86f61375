import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../../../training/runtime/training-backend.ts';
import { matMulCopyCosts } from '../../../../training/runtime/wasm-kernels/batch-matmul.ts';
import { channelOperands } from '../../../../training/runtime/wasm-kernels/channel-binary.ts';
import { registerWasmTrainingKernels, WASM_KERNEL_OVERRIDES } from '../../../../training/runtime/wasm-kernels/index.ts';
import { contiguousSplit } from '../../../../training/runtime/wasm-kernels/reduce.ts';
import { tileInto } from '../../../../training/runtime/wasm-kernels/tile.ts';
import { compareBackends, randomTensor, runOn } from './compare.ts';

const TOL = 1e-3;

beforeAll(async () => {
  await initTrainingBackend({ force: 'wasm' });
});

describe('registration', () => {
  it('is idempotent and leaves the replacement kernels installed for wasm', () => {
    const before = WASM_KERNEL_OVERRIDES.map((k) => tf.getKernel(k.kernelName, 'wasm')?.kernelFunc);
    expect(registerWasmTrainingKernels()).toEqual([]);
    const after = WASM_KERNEL_OVERRIDES.map((k) => tf.getKernel(k.kernelName, 'wasm')?.kernelFunc);
    expect(after).toEqual(before);
    expect(after.every((f) => typeof f === 'function')).toBe(true);
  });
});

/** The MaxPoolGrad kernel itself (not tf.grad) for a 2×2/stride-2 pool of x, on the active backend. */
function maxPoolGrad2x2(x: tf.Tensor4D, dy: tf.Tensor): tf.Tensor {
  const y = tf.maxPool(x, 2, 2, 'valid');
  return tf
    .engine()
    .runKernel(
      'MaxPoolGrad',
      { dy, input: x, output: y },
      { filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
    ) as tf.Tensor;
}

describe('MaxPoolGrad on wasm matches cpu', () => {
  const cases: [string, number[], [number, number], number, 'same' | 'valid'][] = [
    ['2×2 stride 2 valid', [2, 8, 8, 3], [2, 2], 2, 'valid'],
    ['2×2 stride 2 valid, odd size', [2, 9, 7, 3], [2, 2], 2, 'valid'],
    ['2×2 stride 2 same, odd size', [1, 7, 9, 2], [2, 2], 2, 'same'],
    ['3×3 stride 2 same (overlapping)', [2, 8, 8, 3], [3, 3], 2, 'same'],
    ['2×2 stride 1 valid (overlapping)', [1, 6, 6, 4], [2, 2], 1, 'valid'],
    // Channels in multiples of 4 take the SIMD kernel.
    ['2×2 stride 2 valid, SIMD', [2, 8, 8, 8], [2, 2], 2, 'valid'],
    ['2×2 stride 2 valid, SIMD, odd size', [3, 9, 7, 4], [2, 2], 2, 'valid'],
  ];
  it.each(cases)('%s', async (_name, shape, size, stride, pad) => {
    const [err] = await compareBackends(() => {
      const x = randomTensor(shape, 11);
      return tf.grad((a: tf.Tensor) =>
        tf
          .maxPool(a as tf.Tensor4D, size, stride, pad)
          .square()
          .sum(),
      )(x);
    });
    expect(err).toBeLessThan(TOL);
  });

  it.each([2, 8])('routes a tied window to its first maximum, as cpu does (%i channels)', async (c) => {
    const [err] = await compareBackends(() => {
      // Integer values in 0..2 give many ties inside 2×2 windows.
      const x = tf.tensor4d(
        [...Array(2 * 6 * 6 * c).keys()].map((i) => (i * 7) % 3),
        [2, 6, 6, c],
      );
      const dy = randomTensor([2, 3, 3, c], 12);
      return maxPoolGrad2x2(x, dy);
    });
    expect(err).toBeLessThan(TOL);
  });
});

describe('MaxPoolGrad edge values', () => {
  const N = Number.NaN;
  const I = Number.NEGATIVE_INFINITY;
  // Four 2×2 windows: [NaN 1; 2 0], [−∞ −∞; −∞ −∞], [3 NaN; 3 1], [0 0; 0 0].
  const window = [N, 1, I, I, 2, 0, I, I, 3, N, 0, 0, 3, 1, 0, 0];

  const gradOn = (backend: 'wasm' | 'cpu', values: number[], c: number) =>
    runOn(backend, () => {
      const x = tf.tensor4d(values, [1, 4, 4, c]);
      const dy = tf.tensor4d(
        [...Array(4 * c).keys()].map((i) => 10 * (i + 1)),
        [1, 2, 2, c],
      );
      return maxPoolGrad2x2(x, dy);
    });

  it('windows holding NaN or only −∞ route dy as cpu does', async () => {
    const wasm = await gradOn('wasm', window, 1);
    const cpu = await gradOn('cpu', window, 1);
    expect(Array.from(wasm.values[0] as Float32Array)).toEqual(Array.from(cpu.values[0] as Float32Array));
  });

  it('does the same in the SIMD kernel, with plain and special lanes side by side', async () => {
    // Channel 0 holds the special windows, channels 1-3 plain values with ties.
    const c = 4;
    const values = window.flatMap((v, i) => [v, i % 3, (i * 5) % 7, 1]);
    const wasm = await gradOn('wasm', values, c);
    const cpu = await gradOn('cpu', values, c);
    expect(Array.from(wasm.values[0] as Float32Array)).toEqual(Array.from(cpu.values[0] as Float32Array));
  });
});

describe('Tile on wasm matches cpu', () => {
  const cases: [string, number[], number[]][] = [
    ['BatchNorm grad shape', [1, 1, 1, 5], [2, 3, 4, 1]],
    ['every axis', [2, 3, 2], [3, 1, 2]],
    ['innermost', [4, 1], [1, 6]],
    ['rank 1', [3], [4]],
  ];
  it.each(cases)('%s', async (_name, shape, reps) => {
    const [err] = await compareBackends(() => tf.tile(randomTensor(shape, 13), reps));
    expect(err).toBe(0);
  });

  it('keeps int32 and bool dtypes', async () => {
    const wasm = await runOn('wasm', () => [
      tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 3]).toFloat(),
      tf.tile(tf.tensor1d([true, false], 'bool'), [3]).toFloat(),
    ]);
    expect(Array.from(wasm.values[0] as Float32Array)).toEqual([
      1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4,
    ]);
    expect(Array.from(wasm.values[1] as Float32Array)).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('tileInto matches a naive index-mapping tile', () => {
    const shape = [2, 3, 2];
    const reps = [2, 2, 3];
    const src = Float32Array.from({ length: 12 }, (_, i) => i);
    const out = new Float32Array(12 * 12);
    tileInto(src, shape, reps, out);
    const outShape = shape.map((s, i) => s * (reps[i] as number));
    for (let i = 0; i < out.length; i++) {
      const c = i % (outShape[2] as number);
      const b = Math.floor(i / (outShape[2] as number)) % (outShape[1] as number);
      const a = Math.floor(i / ((outShape[2] as number) * (outShape[1] as number)));
      const srcIndex = ((a % 2) * 3 + (b % 3)) * 2 + (c % 2);
      expect(out[i]).toBe(src[srcIndex]);
    }
  });
});

describe('Sum and Mean on wasm match cpu', () => {
  const cases: [string, number[], number[], boolean][] = [
    ['leading axes (BN/bias grads)', [3, 4, 5, 6], [0, 1, 2], false],
    ['leading axes, keepDims', [3, 4, 5, 6], [0, 1, 2], true],
    ['middle axes (global average pool)', [3, 4, 5, 6], [1, 2], false],
    ['first axis', [7, 5], [0], true],
    ['innermost (built-in path)', [3, 4, 5], [2], false],
    ['non-contiguous (built-in path)', [3, 4, 5, 6], [0, 2], false],
  ];
  it.each(cases)('%s', async (_name, shape, axes, keepDims) => {
    const errors = await compareBackends(() => {
      const x = randomTensor(shape, 14);
      return [tf.sum(x, axes, keepDims), tf.mean(x, axes, keepDims)];
    });
    expect(errors[0]).toBeLessThan(1e-5);
    expect(errors[1]).toBeLessThan(1e-5);
  });

  it('int32 sums still go through the built-in', async () => {
    const wasm = await runOn('wasm', () => tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0).toFloat());
    expect(Array.from(wasm.values[0] as Float32Array)).toEqual([9, 12]);
  });

  it('contiguousSplit finds [outer, reduced, inner]', () => {
    expect(contiguousSplit([2, 3, 4, 5], [1, 2])).toEqual([2, 12, 5]);
    expect(contiguousSplit([2, 3, 4, 5], [2, 0])).toBeNull();
    expect(contiguousSplit([2, 3, 4, 5], [0, 1, 2])).toEqual([1, 24, 5]);
  });
});

describe('BatchMatMul with transposed operands on wasm matches cpu', () => {
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['dense weight grad xᵀ·dy', [6, 10], [6, 4], true, false],
    ['dense input grad dy·Wᵀ', [6, 4], [10, 4], false, true],
    ['both transposed', [5, 3], [4, 5], true, true],
    ['batched', [2, 5, 3], [2, 4, 5], true, true],
    ['plain', [3, 5], [5, 4], false, false],
    ['wide dy·Wᵀ (swapped form)', [2, 8], [20, 8], false, true],
    ['batched, swapped form', [2, 2, 8], [2, 20, 8], false, true],
    ['batched xᵀ·dy', [2, 8, 3], [2, 8, 5], true, false],
  ];
  it.each(cases)('%s', async (_name, aShape, bShape, ta, tb) => {
    const [err] = await compareBackends(() => tf.matMul(randomTensor(aShape, 15), randomTensor(bShape, 16), ta, tb));
    expect(err).toBeLessThan(TOL);
  });

  it('copies the small operands: dy·Wᵀ swaps, xᵀ·dy transposes x', () => {
    // seed's dense layer: x [64,6400], W [6400,256], dy [64,256].
    const dx = matMulCopyCosts(64, 256, 6400, false, true);
    expect(dx.swapped).toBeLessThan(dx.direct);
    const dw = matMulCopyCosts(6400, 64, 256, true, false);
    expect(dw.direct).toBeLessThan(dw.swapped);
  });
});

describe('Identity and same-dtype Cast on wasm share the buffer', () => {
  it('clone and cast keep their values after the source is disposed', async () => {
    await tf.setBackend('wasm');
    const buffersBefore = tf.memory().numDataBuffers;
    const x = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(x);
    const same = tf.cast(x, 'float32');
    // Shared, not copied: three tensors, one buffer.
    expect(tf.memory().numDataBuffers - buffersBefore).toBe(1);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    copy.dispose();
    expect(Array.from(same.dataSync())).toEqual([1, 2, 3]);
    same.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffersBefore);
  });

  // The built-in copies float values into the bool buffer unchanged (3 stays 3).
  it('a dtype-changing Cast converts, and to bool as cpu does', async () => {
    await tf.setBackend('wasm');
    const out = tf.tidy(() => Array.from(tf.cast(tf.tensor1d([1.7, -2.2, 0]), 'int32').dataSync()));
    expect(out).toEqual([1, -2, 0]);
    const b = tf.tidy(() => Array.from(tf.cast(tf.tensor1d([0, 3]), 'bool').dataSync()));
    expect(b).toEqual([0, 1]);
  });
});

describe('Multiply, Add and Sub with a per-channel operand on wasm match cpu', () => {
  const ops = {
    mul: (a: tf.Tensor, b: tf.Tensor) => tf.mul(a, b),
    add: (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b),
    sub: (a: tf.Tensor, b: tf.Tensor) => tf.sub(a, b),
  };
  const cases: [string, keyof typeof ops, number[], number[]][] = [];
  for (const op of ['mul', 'add', 'sub'] as const) {
    cases.push([`${op}: full, [C]`, op, [4, 8, 8, 16], [16]]);
    cases.push([`${op}: [1,1,1,C], full`, op, [1, 1, 1, 16], [4, 8, 8, 16]]);
    cases.push([`${op}: [C], full 2-D`, op, [32], [160, 32]]);
  }
  it.each(cases)('%s: bit-exact', async (_name, op, aShape, bShape) => {
    const errors = await compareBackends(() => ops[op](randomTensor(aShape, 21), randomTensor(bShape, 22)));
    expect(errors[0]).toBe(0);
  });

  it('takes the SIMD path only for a full float32 tensor and C % 4 === 0 channels, large enough', () => {
    const info = (shape: number[], dtype: tf.DataType = 'float32') => ({ dataId: {}, shape, dtype }) as tf.TensorInfo;
    const full = info([4, 8, 8, 16]);
    expect(channelOperands(full, info([16]))).toMatchObject({ c: 16, fullFirst: true });
    expect(channelOperands(info([1, 1, 1, 16]), full)).toMatchObject({ c: 16, fullFirst: false });
    expect(channelOperands(full, full)).toBeNull(); // same shape: the built-in's fast case
    expect(channelOperands(full, info([]))).toBeNull(); // scalar: likewise
    expect(channelOperands(full, info([8, 1, 16]))).toBeNull(); // broadcasts over more than channels
    expect(channelOperands(info([4, 8, 8, 6]), info([6]))).toBeNull(); // 6 channels: not whole SIMD lanes
    expect(channelOperands(info([2, 2, 16]), info([16]))).toBeNull(); // too small to pay off
    expect(channelOperands(info([4, 8, 8, 16], 'int32'), info([16], 'int32'))).toBeNull();
  });
});
