/**
 * MaxPoolGrad for the wasm backend. The built-in recomputes each window's
 * argmax per input pixel; one pass over the windows that routes dy to the
 * first maximum (the cpu backend's tie rule) is several times faster.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, type KernelArgs, type KernelOverride } from './kernel-args.ts';
import { simdTrainingKernels } from './simd/training-kernels.ts';
import { heapF32 } from './wasm-ops.ts';

/** dx for max pooling, NHWC. Windows may overlap; contributions add up. */
export function maxPoolGradLoop(
  info: tf.backend_util.Conv2DInfo,
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
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

/**
 * The common 2×2/stride-2 unpadded case (every pooling layer of the project's
 * models): windows do not overlap, so after a native zero-fill only each
 * window's maximum is written. The forward output y is that maximum, so the
 * first input equal to it is the cpu backend's first-max choice; a window
 * whose max is NaN or −∞ takes the strict-comparison path instead.
 */
export function maxPoolGrad2x2Loop(
  info: tf.backend_util.Conv2DInfo,
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  dx.fill(0);
  const rowStride = inWidth * c;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const p00 = ((b * inHeight + 2 * oh) * inWidth + 2 * ow) * c;
        const p01 = p00 + c;
        const p10 = p00 + rowStride;
        const p11 = p10 + c;
        const d = ((b * outHeight + oh) * outWidth + ow) * c;
        for (let ch = 0; ch < c; ch++) {
          const m = y[d + ch];
          if (m > Number.NEGATIVE_INFINITY) {
            const at = x[p00 + ch] === m ? p00 : x[p01 + ch] === m ? p01 : x[p10 + ch] === m ? p10 : p11;
            dx[at + ch] = dy[d + ch];
            continue;
          }
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (const p of [p00, p01, p10, p11]) {
            if (x[p + ch] > best) {
              best = x[p + ch];
              at = p + ch;
            }
          }
          if (at >= 0) dx[at] = dy[d + ch];
        }
      }
    }
  }
}

function isPlain2x2(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    2 * info.outHeight <= info.inHeight &&
    2 * info.outWidth <= info.inWidth
  );
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
    const output = a.inputs.output as tf.TensorInfo;
    const plain2x2 = isPlain2x2(info);
    const simd = plain2x2 && info.inChannels % 4 === 0 ? simdTrainingKernels(backend) : null;
    if (simd) {
      // Rows/columns that odd sizes leave outside every window get no gradient.
      if (2 * info.outHeight !== info.inHeight || 2 * info.outWidth !== info.inWidth) heapF32(backend, out).fill(0);
      simd.maxPoolGrad2x2(input, output, dy, out, {
        batch: info.batchSize,
        inH: info.inHeight,
        inW: info.inWidth,
        c: info.inChannels,
        outH: info.outHeight,
        outW: info.outWidth,
      });
    } else if (plain2x2) {
      maxPoolGrad2x2Loop(
        info,
        heapF32(backend, input),
        heapF32(backend, output),
        heapF32(backend, dy),
        heapF32(backend, out),
      );
    } else {
      maxPoolGradLoop(info, heapF32(backend, input), heapF32(backend, dy), heapF32(backend, out));
    }
    return out;
  },
};
