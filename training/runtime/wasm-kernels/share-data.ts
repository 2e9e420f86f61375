/**
 * Identity and same-dtype Cast for the wasm backend, sharing the input's
 * buffer (reference-counted, as the cpu backend and wasm's own Reshape do)
 * instead of copying it. The engine clones every tensor it saves for the
 * backward pass through Identity, so the built-in's copy moved ~39 M floats
 * per seed train step at batch 64 (~20 ms); tfjs tensors are immutable, so
 * sharing is safe.
 */
import type * as tf from '@tensorflow/tfjs';
import { asWasm, callBuiltin, type KernelArgs, type KernelOverride } from './kernel-args.ts';

function share(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  asWasm(args.backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityOverride: KernelOverride = {
  kernelName: 'Identity',
  make: (builtin) => (args) => {
    const a = args as KernelArgs;
    const x = a.inputs.x as tf.TensorInfo;
    return x.dtype === 'string' ? callBuiltin(builtin, 'Identity', a) : share(a);
  },
};

/**
 * The built-in copies values straight into a bool buffer (3.0 stays 3); the
 * cpu backend and TensorFlow map every non-zero to true.
 */
function castToBool(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const backend = asWasm(args.backend);
  const out = backend.makeOutput(x.shape, 'bool');
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  return out;
}

export const castOverride: KernelOverride = {
  kernelName: 'Cast',
  make: (builtin) => (args) => {
    const a = args as KernelArgs;
    const x = a.inputs.x as tf.TensorInfo;
    const { dtype } = a.attrs as { dtype: tf.DataType };
    if (x.dtype === dtype && dtype !== 'string') return share(a);
    if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) return castToBool(a);
    return callBuiltin(builtin, 'Cast', a);
  },
};
