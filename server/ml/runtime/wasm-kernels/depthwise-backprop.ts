/**
 * Depthwise-conv gradients for the wasm backend, which has none. Direct loops:
 * correct for every stride/dilation/padding; the project's models have no
 * depthwise layers, so these are for completeness rather than speed.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { depthwiseBackpropFilterLoop, depthwiseBackpropInputLoop } from './direct-loops.ts';
import type { KernelArgs, KernelOverride } from './kernel-args.ts';
import { heapF32, type TensorInfo } from './wasm-ops.ts';

interface DepthwiseBackpropAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Shape4 = [number, number, number, number];

function depthwiseInfo(xShape: Shape4, filterShape: Shape4, a: DepthwiseBackpropAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
    true,
    'channelsLast',
  );
}

function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const wasm = backend as BackendWasm;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as DepthwiseBackpropAttrs & { inputShape: Shape4 };
  const info = depthwiseInfo(a.inputShape, filter.shape as Shape4, a);
  const out = wasm.makeOutput(info.inShape, 'float32');
  depthwiseBackpropInputLoop(info, heapF32(wasm, dy), heapF32(wasm, filter), heapF32(wasm, out));
  return out;
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as DepthwiseBackpropAttrs & { filterShape: Shape4 };
  const info = depthwiseInfo(x.shape as Shape4, a.filterShape, a);
  const out = wasm.makeOutput(a.filterShape, 'float32');
  depthwiseBackpropFilterLoop(info, heapF32(wasm, x), heapF32(wasm, dy), heapF32(wasm, out));
  return out;
}

export const depthwiseBackpropInputOverride: KernelOverride = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  make: () => depthwiseBackpropInput as unknown as tf.KernelFunc,
};

export const depthwiseBackpropFilterOverride: KernelOverride = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  make: () => depthwiseBackpropFilter as unknown as tf.KernelFunc,
};
