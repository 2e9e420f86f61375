/**
 * The tfjs backend for training: initBackend's choice, with our wasm training
 * kernels (gradients wasm lacks, faster replacements for a train step's hot
 * built-ins) and our Mean and FusedBatchNorm gradients (mean-grad.ts,
 * batch-norm-grad.ts) registered first. Only training processes and workers call this;
 * the server's inference fallback uses initBackend alone and tfjs's own kernels.
 */
import { type BackendChoice, type InitBackendOptions, initBackend } from '../../server/ml/runtime/backend.ts';
import { registerBatchNormGrad } from './batch-norm-grad.ts';
import { registerMeanGrad } from './mean-grad.ts';
import { registerWasmTrainingKernels } from './wasm-kernels/index.ts';

export async function initTrainingBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  // Registered before the backend initialises, so their setup runs with it; the
  // registration only concerns backend 'wasm' and is harmless when another one is chosen.
  registerWasmTrainingKernels();
  // Same values as tfjs's own gradients on every backend, only faster; global, so set here.
  registerMeanGrad();
  registerBatchNormGrad();
  return initBackend(options);
}
