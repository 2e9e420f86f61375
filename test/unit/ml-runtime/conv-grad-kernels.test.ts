import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../server/ml/runtime/backend.ts';
import { compareBackends, randomTensor, runOn } from './compare.ts';

const TOL = 1e-3;

beforeAll(async () => {
  await initBackend({ force: 'wasm' });
});

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const convCases: ConvCase[] = [];
for (const strides of [1, 2] as const) {
  for (const pad of ['same', 'valid'] as const) {
    convCases.push({ x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides, pad });
    convCases.push({ x: [2, 8, 8, 3], filter: [3, 3, 3, 5], strides, pad });
    convCases.push({ x: [1, 9, 6, 2], filter: [2, 3, 2, 3], strides, pad });
    convCases.push({ x: [3, 5, 5, 4], filter: [1, 1, 4, 2], strides, pad });
    // Over 36 filter rows (fh·fw·C): dW takes the transposed-conv path instead of im2col.
    convCases.push({ x: [2, 7, 7, 5], filter: [3, 3, 5, 4], strides, pad });
    convCases.push({ x: [2, 6, 8, 8], filter: [2, 3, 8, 3], strides, pad });
  }
}
convCases.push({ x: [2, 9, 8, 2], filter: [3, 3, 2, 3], strides: [1, 2], pad: 'same' });
convCases.push({ x: [1, 10, 10, 2], filter: [3, 3, 2, 3], strides: 3, pad: 'valid' });
convCases.push({ x: [1, 10, 9, 6], filter: [3, 3, 6, 3], strides: 3, pad: 'valid' });
convCases.push({
  x: [1, 6, 6, 6],
  filter: [3, 3, 6, 2],
  strides: 2,
  pad: [
    [0, 0],
    [2, 1],
    [1, 0],
    [0, 0],
  ],
});
// Explicit pads, one wider than the filter (the direct-loop fallback for dx).
convCases.push({
  x: [2, 6, 6, 2],
  filter: [3, 3, 2, 3],
  strides: 1,
  pad: [
    [0, 0],
    [1, 2],
    [0, 1],
    [0, 0],
  ],
});
convCases.push({
  x: [1, 6, 5, 2],
  filter: [2, 2, 2, 2],
  strides: 1,
  pad: [
    [0, 0],
    [3, 0],
    [2, 1],
    [0, 0],
  ],
});

function label(c: { x: number[]; filter: number[]; strides: unknown; pad: unknown }): string {
  return `x ${c.x.join('×')}, filter ${c.filter.join('×')}, strides ${JSON.stringify(c.strides)}, pad ${JSON.stringify(c.pad)}`;
}

describe('Conv2D gradients on wasm match cpu', () => {
  it.each(convCases.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const errors = await compareBackends(() => {
      const x = randomTensor(c.x, 1) as tf.Tensor4D;
      const w = randomTensor(c.filter, 2) as tf.Tensor4D;
      const loss = (a: tf.Tensor, b: tf.Tensor) =>
        tf
          .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad)
          .square()
          .sum();
      return tf.grads(loss)([x, w]);
    });
    expect(errors[0], 'dx').toBeLessThan(TOL);
    expect(errors[1], 'dW').toBeLessThan(TOL);
  });

  it('backprop kernels called directly (as tfjs-layers does) match cpu', async () => {
    const errors = await compareBackends(() => {
      const x = randomTensor([2, 9, 9, 3], 3) as tf.Tensor4D;
      const dy = randomTensor([2, 4, 4, 5], 4) as tf.Tensor4D;
      const w = randomTensor([3, 3, 3, 5], 5) as tf.Tensor4D;
      return [
        tf.conv2dTranspose(dy, w, [2, 9, 9, 3], 2, 'valid'),
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            { strides: [2, 2], pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 3, 5] },
          ) as tf.Tensor,
      ];
    });
    expect(errors[0]).toBeLessThan(TOL);
    expect(errors[1]).toBeLessThan(TOL);
  });
});

interface DepthwiseCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
}
const depthwiseCases: DepthwiseCase[] = [];
for (const strides of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    depthwiseCases.push({ x: [2, 7, 7, 3], filter: [3, 3, 3, 1], strides, pad });
    depthwiseCases.push({ x: [1, 8, 6, 2], filter: [3, 2, 2, 2], strides, pad });
  }
}

describe('DepthwiseConv2dNative gradients on wasm match cpu', () => {
  it.each(depthwiseCases.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const errors = await compareBackends(() => {
      const x = randomTensor(c.x, 6) as tf.Tensor4D;
      const w = randomTensor(c.filter, 7) as tf.Tensor4D;
      const loss = (a: tf.Tensor, b: tf.Tensor) =>
        tf
          .depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad)
          .square()
          .sum();
      return tf.grads(loss)([x, w]);
    });
    expect(errors[0], 'dx').toBeLessThan(TOL);
    expect(errors[1], 'dW').toBeLessThan(TOL);
  });

  // The cpu backend's depthwise backprop ignores dilations, so check the adjoint
  // identity instead: <conv(x,w), dy> = <x, dx(dy,w)> = <w, dW(x,dy)>, with the
  // forward conv (which does honour dilations) on cpu.
  it('dilated depthwise backprop kernels satisfy the adjoint identity', async () => {
    const attrs = { strides: [1, 1], dilations: [2, 2], pad: 'same' };
    const make = () => ({
      x: randomTensor([1, 9, 8, 2], 8) as tf.Tensor4D,
      w: randomTensor([3, 3, 2, 2], 9) as tf.Tensor4D,
      dy: randomTensor([1, 9, 8, 4], 10) as tf.Tensor4D,
    });
    const wasm = await runOn('wasm', () => {
      const { x, w, dy } = make();
      const dx = tf
        .engine()
        .runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy, filter: w },
          { ...attrs, inputShape: [1, 9, 8, 2] },
        ) as tf.Tensor;
      const dw = tf
        .engine()
        .runKernel(
          'DepthwiseConv2dNativeBackpropFilter',
          { x, dy },
          { ...attrs, filterShape: [3, 3, 2, 2] },
        ) as tf.Tensor;
      return [x.mul(dx).sum(), w.mul(dw).sum()];
    });
    const cpu = await runOn('cpu', () => {
      const { x, w, dy } = make();
      return tf.depthwiseConv2d(x, w, 1, 'same', 'NHWC', 2).mul(dy).sum();
    });
    const reference = cpu.values[0]?.[0] as number;
    expect(Math.abs(reference)).toBeGreaterThan(1e-2);
    for (const v of wasm.values) expect(Math.abs((v[0] as number) - reference) / Math.abs(reference)).toBeLessThan(TOL);
  });
});
