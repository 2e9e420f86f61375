import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../../../training/runtime/training-backend.ts';
import { compareBackends, randomTensor } from './compare.ts';

const TOL = 1e-3;

beforeAll(async () => {
  await initTrainingBackend({ force: 'wasm' });
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
