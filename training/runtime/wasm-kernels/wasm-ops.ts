/**
 * Thin wrappers that call the wasm backend's own kernels from inside another
 * kernel. Going through tf.* ops here would re-enter the engine (tape, tidy
 * scopes, profiling) in the middle of a kernel, which the engine does not allow
 * for gradients and which leaks intermediates; calling kernelFuncs directly and
 * disposing intermediates by dataId is how tfjs-backend-wasm composes its own.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type TensorInfo = tf.TensorInfo;

function wasmKernel(name: string): tf.KernelConfig {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm backend has no '${name}' kernel`);
  return k;
}

export function callKernel(
  backend: BackendWasm,
  name: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): TensorInfo {
  const out = wasmKernel(name).kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned several outputs`);
  return out as TensorInfo;
}

/** Frees an intermediate this module created (never a kernel's input). */
export function release(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return callKernel(backend, 'Transpose', { x }, { perm });
}

export function reverse(backend: BackendWasm, x: TensorInfo, dims: number[]): TensorInfo {
  return callKernel(backend, 'Reverse', { x }, { dims });
}

export function reshape(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  return callKernel(backend, 'Reshape', { x }, { shape });
}

export interface ExplicitPad {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Stride-1 NHWC convolution with explicit (non-negative) padding and optional dilation. */
export function conv2d(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  pad: ExplicitPad,
  dilations: [number, number] = [1, 1],
): TensorInfo {
  return callKernel(backend, 'Conv2D', { x, filter }, {
    strides: [1, 1],
    pad: [
      [0, 0],
      [pad.top, pad.bottom],
      [pad.left, pad.right],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dilations,
    dimRoundingMode: undefined as unknown as string,
  } as unknown as tf.NamedAttrMap);
}

/** Float32 view of a tensor's bytes on the wasm heap. Take views only after the last allocation. */
export function heapF32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}
