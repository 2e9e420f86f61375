/**
 * BatchMatMul for the wasm backend. The built-in leaves XNNPACK's fast path
 * whenever an operand is flagged transposed (measured, seed's dense layer:
 * dy·Wᵀ 97 ms and xᵀ·dy 140 ms, vs 7-11 ms for the same products with the
 * transpose materialised), and a dense layer's two gradients ask for exactly
 * those. Transposing the operand first (memory-bound, a few ms) is far cheaper.
 */
import type * as tf from '@tensorflow/tfjs';
import { asWasm, callBuiltin, type KernelArgs, type KernelOverride } from './kernel-args.ts';
import { release, transpose } from './wasm-ops.ts';

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

export const batchMatMulOverride: KernelOverride = {
  kernelName: 'BatchMatMul',
  make: (builtin) => (args) => {
    const a = args as KernelArgs;
    const attrs = a.attrs as { transposeA: boolean; transposeB: boolean };
    let lhs = a.inputs.a as tf.TensorInfo;
    let rhs = a.inputs.b as tf.TensorInfo;
    if ((!attrs.transposeA && !attrs.transposeB) || lhs.dtype !== 'float32' || rhs.dtype !== 'float32') {
      return callBuiltin(builtin, 'BatchMatMul', a);
    }
    const backend = asWasm(a.backend);
    const temps: tf.TensorInfo[] = [];
    if (attrs.transposeA) {
      lhs = transpose(backend, lhs, swapLastTwo(lhs.shape.length));
      temps.push(lhs);
    }
    if (attrs.transposeB) {
      rhs = transpose(backend, rhs, swapLastTwo(rhs.shape.length));
      temps.push(rhs);
    }
    const out = callBuiltin(builtin, 'BatchMatMul', {
      inputs: { a: lhs, b: rhs },
      backend: a.backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    release(backend, ...temps);
    return out;
  },
};
