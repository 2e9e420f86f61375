/**
 * Sum and Mean for the wasm backend when the reduced axes are followed by kept
 * ones (e.g. BatchNorm and bias gradients reduce [B,H,W] of [B,H,W,C]). The
 * built-in first transposes the whole tensor so the reduced axes come last;
 * accumulating rows in place avoids that copy.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, callBuiltin, type KernelArgs, type KernelOverride } from './kernel-args.ts';
import { heapF32 } from './wasm-ops.ts';

/** Shape split [outer, reduced, inner] when `axes` form one contiguous run, else null. */
export function contiguousSplit(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  const sorted = [...axes].sort((p, q) => p - q);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) return null;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const prod = (from: number, to: number) => shape.slice(from, to).reduce((p, s) => p * s, 1);
  return [prod(0, first), prod(first, last + 1), prod(last + 1, shape.length)];
}

/** out[o, i] = scale · Σ_r x[o, r, i], accumulated in float64. */
export function reduceMiddle(
  x: Float32Array,
  outer: number,
  reduced: number,
  inner: number,
  scale: number,
  out: Float32Array,
): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const base = o * reduced * inner;
    let r = 0;
    // Eight rows per pass: ~3× faster than one (fewer accumulator loads/stores per input).
    const s = inner;
    for (; r + 8 <= reduced; r += 8) {
      const r0 = base + r * inner;
      for (let i = 0; i < inner; i++) {
        const q = r0 + i;
        acc[i] +=
          x[q] + x[q + s] + x[q + 2 * s] + x[q + 3 * s] + x[q + 4 * s] + x[q + 5 * s] + x[q + 6 * s] + x[q + 7 * s];
      }
    }
    for (; r < reduced; r++) {
      const row = base + r * inner;
      for (let i = 0; i < inner; i++) acc[i] += x[row + i];
    }
    const outBase = o * inner;
    for (let i = 0; i < inner; i++) out[outBase + i] = acc[i] * scale;
  }
}

function makeReduce(kernelName: 'Sum' | 'Mean'): KernelOverride {
  return {
    kernelName,
    make: (builtin) => (args) => {
      const a = args as KernelArgs;
      const x = a.inputs.x as tf.TensorInfo;
      const { axis, keepDims } = a.attrs as { axis: number | number[]; keepDims: boolean };
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const split = x.dtype === 'float32' ? contiguousSplit(x.shape, axes) : null;
      // inner === 1 is the built-in's own fast case (no transpose needed).
      if (!split || split[2] === 1 || split[1] === 0) return callBuiltin(builtin, kernelName, a);
      const [outer, reduced, inner] = split;
      const outShape = keepDims
        ? x.shape.map((s, d) => (axes.includes(d) ? 1 : s))
        : x.shape.filter((_, d) => !axes.includes(d));
      const backend = asWasm(a.backend);
      const out = backend.makeOutput(outShape, 'float32');
      const scale = kernelName === 'Mean' ? 1 / reduced : 1;
      reduceMiddle(heapF32(backend, x), outer, reduced, inner, scale, heapF32(backend, out));
      return out;
    },
  };
}

export const sumOverride = makeReduce('Sum');
export const meanOverride = makeReduce('Mean');
