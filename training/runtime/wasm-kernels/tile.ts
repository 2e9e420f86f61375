/**
 * Tile for the wasm backend. The built-in walks every output element in C++;
 * BatchNorm's gradient tiles a [1,1,1,C] tensor to the full activation size on
 * every BN layer, which made Tile the single most expensive kernel of a vgg16
 * train step. Copying the input once and doubling it with copyWithin (memcpy)
 * is ~50× faster.
 */
import type * as tf from '@tensorflow/tfjs';
import { asWasm, callBuiltin, type KernelArgs, type KernelOverride } from './kernel-args.ts';

type TypedArray = Float32Array | Int32Array | Uint8Array;

/** Above this many innermost rows the per-row JS calls cost more than the built-in. */
const MAX_ROWS = 1 << 16;

/** Repeats a[off, off+blockLen) `times` times in place, doubling the copied span each pass. */
function replicate(a: TypedArray, off: number, blockLen: number, times: number): void {
  const total = blockLen * times;
  let filled = blockLen;
  while (filled < total) {
    const n = Math.min(filled, total - filled);
    a.copyWithin(off + filled, off, off + n);
    filled += n;
  }
}

/** Writes tile(src, reps) into dst (row-major, shapes as given). */
export function tileInto(src: TypedArray, shape: readonly number[], reps: readonly number[], dst: TypedArray): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const inStrides = new Array<number>(rank);
  const outStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  outStrides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) {
    inStrides[d] = inStrides[d + 1] * shape[d + 1];
    outStrides[d] = outStrides[d + 1] * shape[d + 1] * reps[d + 1];
  }
  const fill = (d: number, inOff: number, outOff: number): void => {
    if (d === rank - 1) {
      dst.set(src.subarray(inOff, inOff + shape[d]), outOff);
    } else {
      for (let i = 0; i < shape[d]; i++) fill(d + 1, inOff + i * inStrides[d], outOff + i * outStrides[d]);
    }
    replicate(dst, outOff, shape[d] * outStrides[d], reps[d]);
  };
  fill(0, 0, 0);
}

export const tileOverride: KernelOverride = {
  kernelName: 'Tile',
  make: (builtin) => (args) => {
    const a = args as KernelArgs;
    const x = a.inputs.x as tf.TensorInfo;
    const reps = (a.attrs as { reps: number[] }).reps;
    const rows = x.shape.slice(0, -1).reduce((p, s) => p * s, 1);
    const size = x.shape.reduce((p, s) => p * s, 1);
    if (x.dtype === 'string' || rows > MAX_ROWS || size === 0) return callBuiltin(builtin, 'Tile', a);
    const backend = asWasm(a.backend);
    const outShape = x.shape.map((s, i) => s * reps[i]);
    const out = backend.makeOutput(outShape, x.dtype);
    // Views only after makeOutput: an allocation can grow (and detach) the heap.
    const dst = backend.typedArrayFromHeap(out) as TypedArray;
    const src = backend.typedArrayFromHeap(x) as TypedArray;
    tileInto(src, x.shape, reps, dst);
    return out;
  },
};
