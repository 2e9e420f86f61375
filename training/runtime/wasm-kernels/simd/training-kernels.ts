/**
 * The SIMD training kernels (training-kernels.wat), instantiated once per wasm
 * backend on that backend's own memory, so they read and write tensors in
 * place by heap offset with no copies.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { TRAINING_KERNELS_WASM_BASE64 } from './training-kernels.wasm.ts';

export interface SimdTrainingKernels {
  /** See training-kernels.wat. `c` must be a multiple of 4; tensors are NHWC float32. */
  maxPoolGrad2x2(
    x: tf.TensorInfo,
    y: tf.TensorInfo,
    dy: tf.TensorInfo,
    dx: tf.TensorInfo,
    dims: { batch: number; inH: number; inW: number; c: number; outH: number; outW: number },
  ): void;
  /**
   * out = x·s + t with s, t per channel (the innermost axis, c floats each, at
   * byte offsets sOffset/tOffset on the heap). x.size and c multiples of 4.
   */
  channelAffine(x: tf.TensorInfo, sOffset: number, tOffset: number, out: tf.TensorInfo, c: number): void;
}

interface Exports {
  maxPoolGrad2x2(...args: number[]): void;
  channelAffine(...args: number[]): void;
}

const instances = new WeakMap<BackendWasm, SimdTrainingKernels | null>();

function backendMemory(backend: BackendWasm): WebAssembly.Memory | undefined {
  // Emscripten keeps the instance's exports (its memory among them) on Module.asm.
  const asm = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm;
  return asm?.memory instanceof WebAssembly.Memory ? asm.memory : undefined;
}

function instantiate(backend: BackendWasm): SimdTrainingKernels | null {
  const memory = backendMemory(backend);
  if (!memory) return null;
  let exports: Exports;
  try {
    const module = new WebAssembly.Module(Buffer.from(TRAINING_KERNELS_WASM_BASE64, 'base64'));
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
  } catch {
    return null; // no SIMD in this runtime: callers keep their JavaScript loops
  }
  const offset = (t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId).memoryOffset;
  return {
    maxPoolGrad2x2(x, y, dy, dx, d) {
      exports.maxPoolGrad2x2(offset(x), offset(y), offset(dy), offset(dx), d.batch, d.inH, d.inW, d.c, d.outH, d.outW);
    },
    channelAffine(x, sOffset, tOffset, out, c) {
      const n = x.shape.reduce((p, q) => p * q, 1);
      exports.channelAffine(offset(x), sOffset, tOffset, offset(out), n, c);
    },
  };
}

/** The kernels bound to this backend's heap, or null where they cannot run (callers fall back). */
export function simdTrainingKernels(backend: BackendWasm): SimdTrainingKernels | null {
  let k = instances.get(backend);
  if (k === undefined) {
    k = instantiate(backend);
    instances.set(backend, k);
  }
  return k;
}
