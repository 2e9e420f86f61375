/**
 * BatchMatMul for the wasm backend. The built-in leaves XNNPACK's fast path
 * whenever an operand is flagged transposed (measured, seed's dense layer:
 * dy·Wᵀ 97 ms and xᵀ·dy 140 ms, vs 7-11 ms for the same products with the
 * transpose materialised), and a dense layer's two gradients ask for exactly
 * those. Materialising the transpose first (memory-bound, a few ms) is far
 * cheaper; which operand to transpose is chosen by how many floats it copies.
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

/**
 * Floats copied (transposes, XNNPACK's packing of the right operand, and for
 * the swapped form the result's transpose) to compute op(A)·op(B), with
 * op(A) [m,k] and op(B) [k,n], either directly or as (op(B)ᵀ·op(A)ᵀ)ᵀ.
 * A dense layer's input gradient dy·Wᵀ copies W twice directly but only the
 * small dy and result when swapped.
 */
export function matMulCopyCosts(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): { direct: number; swapped: number } {
  return {
    direct: (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + k * n,
    swapped: (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + m * k + m * n,
  };
}

export const batchMatMulOverride: KernelOverride = {
  kernelName: 'BatchMatMul',
  make: (builtin) => (args) => {
    const a = args as KernelArgs;
    const attrs = a.attrs as { transposeA: boolean; transposeB: boolean };
    const lhs = a.inputs.a as tf.TensorInfo;
    const rhs = a.inputs.b as tf.TensorInfo;
    if ((!attrs.transposeA && !attrs.transposeB) || lhs.dtype !== 'float32' || rhs.dtype !== 'float32') {
      return callBuiltin(builtin, 'BatchMatMul', a);
    }
    const backend = asWasm(a.backend);
    const la = lhs.shape.length;
    const lb = rhs.shape.length;
    const m = lhs.shape[attrs.transposeA ? la - 1 : la - 2] as number;
    const k = lhs.shape[attrs.transposeA ? la - 2 : la - 1] as number;
    const n = rhs.shape[attrs.transposeB ? lb - 2 : lb - 1] as number;
    const cost = matMulCopyCosts(m, k, n, attrs.transposeA, attrs.transposeB);
    const temps: tf.TensorInfo[] = [];
    const plain = (t: tf.TensorInfo, transposed: boolean): tf.TensorInfo => {
      if (!transposed) return t;
      const r = transpose(backend, t, swapLastTwo(t.shape.length));
      temps.push(r);
      return r;
    };
    const matMul = (x: tf.TensorInfo, y: tf.TensorInfo) =>
      callBuiltin(builtin, 'BatchMatMul', {
        inputs: { a: x, b: y },
        backend: a.backend,
        attrs: { transposeA: false, transposeB: false },
      });
    let out: tf.TensorInfo;
    if (cost.direct <= cost.swapped) {
      out = matMul(plain(lhs, attrs.transposeA), plain(rhs, attrs.transposeB));
    } else {
      // op(B)ᵀ is B itself when transposeB, op(A)ᵀ is A itself when transposeA.
      const outT = matMul(plain(rhs, !attrs.transposeB), plain(lhs, !attrs.transposeA));
      out = transpose(backend, outT, swapLastTwo(outT.shape.length));
      temps.push(outT);
    }
    release(backend, ...temps);
    return out;
  },
};
