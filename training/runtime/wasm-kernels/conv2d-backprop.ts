/**
 * Conv2D gradients for the wasm backend, expressed as forward convolutions so
 * they run on XNNPACK's fast Conv2D instead of wasm's naive backprop loop
 * (Conv2DBackpropInput, ~10× slower than a forward conv) or no kernel at all
 * (Conv2DBackpropFilter).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropInputLoop } from './direct-loops.ts';
import type { KernelArgs, KernelOverride } from './kernel-args.ts';
import { callKernel, conv2d, heapF32, release, reshape, reverse, type TensorInfo, transpose } from './wasm-ops.ts';

interface BackpropAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function requireNHWC(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only NHWC (channelsLast), got ${dataFormat}`);
  }
}

/**
 * Inserts (stride-1) zeros between dy's rows and columns, so that a stride-s
 * conv's input gradient becomes a stride-1 conv. Memory-bound, so a JS copy is
 * as fast as composing wasm Pad/Reshape/Slice kernels and needs no temporaries.
 */
export function dilateSpatial(backend: BackendWasm, dy: TensorInfo, strideH: number, strideW: number): TensorInfo {
  const [b, h, w, c] = dy.shape as [number, number, number, number];
  const outH = (h - 1) * strideH + 1;
  const outW = (w - 1) * strideW + 1;
  const out = backend.makeOutput([b, outH, outW, c], 'float32');
  // Views only after makeOutput: an allocation can grow (and detach) the heap.
  const dst = heapF32(backend, out);
  const src = heapF32(backend, dy);
  dst.fill(0);
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const from = ((n * h + y) * w + x) * c;
        const to = ((n * outH + y * strideH) * outW + x * strideW) * c;
        dst.set(src.subarray(from, from + c), to);
      }
    }
  }
  return out;
}

function conv2dBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const wasm = backend as BackendWasm;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as BackpropAttrs & { inputShape: [number, number, number, number] };
  requireNHWC('Conv2DBackpropInput', a.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    a.inputShape,
    filter.shape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  // dx = full correlation of the zero-dilated dy with the 180°-rotated,
  // in/out-swapped filter; these pads make its output exactly inputShape.
  const top = fh - 1 - info.padInfo.top;
  const left = fw - 1 - info.padInfo.left;
  const bottom = info.inHeight - ((info.outHeight - 1) * sh + 1) + info.padInfo.top;
  const right = info.inWidth - ((info.outWidth - 1) * sw + 1) + info.padInfo.left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    // Explicit pads wider than the filter: not expressible as a padded conv.
    const out = wasm.makeOutput(info.inShape, 'float32');
    conv2dBackpropInputLoop(info, heapF32(wasm, dy), heapF32(wasm, filter), heapF32(wasm, out));
    return out;
  }
  const dyDilated = sh > 1 || sw > 1 ? dilateSpatial(wasm, dy, sh, sw) : dy;
  const rotated = reverse(wasm, filter, [0, 1]);
  const swapped = transpose(wasm, rotated, [0, 1, 3, 2]);
  release(wasm, rotated);
  const dx = conv2d(wasm, dyDilated, swapped, { top, bottom, left, right });
  release(wasm, swapped);
  if (dyDilated !== dy) release(wasm, dyDilated);
  return dx;
}

/**
 * Up to this many filter rows (fh·fw·inChannels) the filter gradient is one
 * GEMM, dWᵀ = dyᵀ·patches, with the im2col patches as the (small, packed)
 * right operand. Measured on seed's first layer (x 64×48×48×1, 64 filters,
 * CPU time): ~15 ms vs 75 ms for the conv form, whose M = 9 output "pixels"
 * leave XNNPACK streaming an 8.7 M-float packed filter per row tile. For wide
 * inputs the patches get large and the conv form is faster.
 */
const IM2COL_MAX_ROWS = 36;

/** patches [B·oH·oW, fh·fw·C]: row p holds the receptive field of output pixel p (0 in padding). */
export function im2col(info: tf.backend_util.Conv2DInfo, x: Float32Array, out: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  let p = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        for (let fi = 0; fi < filterHeight; fi++) {
          const ih = oh * strideHeight + fi * dilationHeight - padTop;
          const rowOk = ih >= 0 && ih < inHeight;
          for (let fj = 0; fj < filterWidth; fj++) {
            const iw = ow * strideWidth + fj * dilationWidth - padLeft;
            if (rowOk && iw >= 0 && iw < inWidth) {
              const src = ((b * inHeight + ih) * inWidth + iw) * c;
              for (let ch = 0; ch < c; ch++) out[p++] = x[src + ch];
            } else {
              for (let ch = 0; ch < c; ch++) out[p++] = 0;
            }
          }
        }
      }
    }
  }
}

function backpropFilterIm2col(
  backend: BackendWasm,
  info: tf.backend_util.Conv2DInfo,
  x: TensorInfo,
  dy: TensorInfo,
): TensorInfo {
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  const patches = backend.makeOutput([pixels, rows], 'float32');
  im2col(info, heapF32(backend, x), heapF32(backend, patches));
  const dy2d = reshape(backend, dy, [pixels, info.outChannels]);
  const dwT = callKernel(backend, 'BatchMatMul', { a: dy2d, b: patches }, { transposeA: true, transposeB: false });
  release(backend, patches, dy2d);
  const dw = transpose(backend, dwT, [1, 0]);
  release(backend, dwT);
  // Row (tap, c) × column k is already [fh, fw, C, K] in memory.
  dw.shape = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  return dw;
}

function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as BackpropAttrs & { filterShape: [number, number, number, number] };
  requireNHWC('Conv2DBackpropFilter', a.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.filterHeight * info.filterWidth * info.inChannels <= IM2COL_MAX_ROWS) {
    return backpropFilterIm2col(wasm, info, x, dy);
  }
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Pads that make a conv of x (as [C,H,W,B]) with dy (as a [oH,oW,B,K] filter,
  // dilated by the stride) produce exactly fh×fw outputs. Negative means the
  // last rows/cols of x never reach the output: crop them instead.
  const bottom = fh + (info.outHeight - 1) * sh - info.inHeight - top;
  const right = fw + (info.outWidth - 1) * sw - info.inWidth - left;
  let xT = transpose(wasm, x, [3, 1, 2, 0]);
  if (bottom < 0 || right < 0) {
    const [c, h, w, b] = xT.shape;
    const cropped = callKernel(
      wasm,
      'Slice',
      { x: xT },
      { begin: [0, 0, 0, 0], size: [c, h + Math.min(bottom, 0), w + Math.min(right, 0), b] },
    );
    release(wasm, xT);
    xT = cropped;
  }
  const dyT = transpose(wasm, dy, [1, 2, 0, 3]);
  const dwT = conv2d(wasm, xT, dyT, { top, left, bottom: Math.max(bottom, 0), right: Math.max(right, 0) }, [sh, sw]);
  release(wasm, xT, dyT);
  const dw = transpose(wasm, dwT, [1, 2, 0, 3]);
  release(wasm, dwT);
  return dw;
}

export const conv2dBackpropInputOverride: KernelOverride = {
  kernelName: 'Conv2DBackpropInput',
  make: () => conv2dBackpropInput as unknown as tf.KernelFunc,
};

export const conv2dBackpropFilterOverride: KernelOverride = {
  kernelName: 'Conv2DBackpropFilter',
  make: () => conv2dBackpropFilter as unknown as tf.KernelFunc,
};
