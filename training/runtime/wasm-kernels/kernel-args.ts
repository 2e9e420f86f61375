/** Shared shapes of the kernel-function arguments the tfjs engine passes. */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

/**
 * A faster replacement for a built-in wasm kernel. `make` receives the built-in
 * config (undefined when wasm has none) so the replacement can defer to it for
 * cases it does not speed up.
 */
export interface KernelOverride {
  kernelName: string;
  make(builtin: tf.KernelConfig | undefined): tf.KernelFunc;
}

export function asWasm(backend: tf.KernelBackend): BackendWasm {
  return backend as unknown as BackendWasm;
}

/** Calls the built-in kernel, or explains that there is none for this case. */
export function callBuiltin(builtin: tf.KernelConfig | undefined, name: string, args: KernelArgs): tf.TensorInfo {
  if (!builtin) throw new Error(`wasm backend has no '${name}' kernel for this case`);
  return builtin.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
