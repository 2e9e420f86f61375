/**
 * MaxPoolGrad for the wasm backend. The built-in recomputes each window's
 * argmax per input pixel; one pass over the windows that routes dy to the
 * first maximum (the cpu backend's tie rule) is several times faster.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, type KernelArgs, type KernelOverride } from './kernel-args.ts';
import { heapF32 } from './wasm-ops.ts';

/** dx for max pooling, NHWC. Windows may overlap; contributions add up. */
export function maxPoolGradLoop(info: tf.backend_util.Conv2DInfo, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const maxVal = new Float32Array(c);
  const maxPos = new Int32Array(c);
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        maxVal.fill(Number.NEGATIVE_INFINITY);
        maxPos.fill(-1);
        for (let wr = 0; wr < filterHeight; wr++) {
          const ih = oh * strideHeight - padTop + wr * dilationHeight;
          if (ih < 0 || ih >= inHeight) continue;
          for (let wc = 0; wc < filterWidth; wc++) {
            const iw = ow * strideWidth - padLeft + wc * dilationWidth;
            if (iw < 0 || iw >= inWidth) continue;
            const base = ((b * inHeight + ih) * inWidth + iw) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              if (v > maxVal[ch]) {
                maxVal[ch] = v;
                maxPos[ch] = base + ch;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * c;
        for (let ch = 0; ch < c; ch++) {
          const p = maxPos[ch];
          if (p >= 0) dx[p] += dy[dyBase + ch];
        }
      }
    }
  }
}

export const maxPoolGradOverride: KernelOverride = {
  kernelName: 'MaxPoolGrad',
  make: () => (args) => {
    const a = args as KernelArgs;
    const { dy, input } = a.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const attrs = a.attrs as unknown as {
      filterSize: [number, number] | number;
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const backend = asWasm(a.backend);
    const out = backend.makeOutput(input.shape, 'float32');
    maxPoolGradLoop(info, heapF32(backend, input), heapF32(backend, dy), heapF32(backend, out));
    return out;
  },
};
