/**
 * Training kernels for the wasm backend: the conv filter gradient it lacks and
 * faster replacements for built-ins that dominate a train step.
 */
import * as tf from '@tensorflow/tfjs';
import { batchMatMulOverride } from './batch-matmul.ts';
import { addOverride, multiplyOverride, subOverride } from './channel-binary.ts';
import { conv2dBackpropFilterOverride, conv2dBackpropInputOverride } from './conv2d-backprop.ts';
import type { KernelOverride } from './kernel-args.ts';
import { maxPoolGradOverride } from './max-pool-grad.ts';
import { meanOverride, sumOverride } from './reduce.ts';
import { castOverride, identityOverride } from './share-data.ts';
import { tileOverride } from './tile.ts';

export const WASM_KERNEL_OVERRIDES: readonly KernelOverride[] = [
  conv2dBackpropInputOverride,
  conv2dBackpropFilterOverride,
  maxPoolGradOverride,
  batchMatMulOverride,
  tileOverride,
  sumOverride,
  meanOverride,
  identityOverride,
  castOverride,
  multiplyOverride,
  addOverride,
  subOverride,
];

/** Kernel functions installed by this module, so a second call can recognise them. */
const installed = new WeakSet<tf.KernelFunc>();

/**
 * Registers the kernels for backend 'wasm', replacing built-in ones. Idempotent:
 * kernels already installed by this module are kept. Returns the kernel names
 * (re)registered by this call.
 */
export function registerWasmTrainingKernels(): string[] {
  const changed: string[] = [];
  for (const override of WASM_KERNEL_OVERRIDES) {
    const builtin = tf.getKernel(override.kernelName, 'wasm');
    if (builtin && installed.has(builtin.kernelFunc)) continue;
    const kernelFunc = override.make(builtin);
    if (builtin) tf.unregisterKernel(override.kernelName, 'wasm');
    // The built-in's setupFunc (its cwrap of the C function) must still run when
    // the backend initialises, since replacements fall back to the built-in.
    tf.registerKernel({
      kernelName: override.kernelName,
      backendName: 'wasm',
      kernelFunc,
      setupFunc: builtin?.setupFunc,
    });
    installed.add(kernelFunc);
    changed.push(override.kernelName);
  }
  return changed;
}
