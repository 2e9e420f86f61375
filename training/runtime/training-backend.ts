/**
 * The tfjs backend for training: initBackend's choice, with our wasm training
 * kernels (gradients wasm lacks, faster replacements for a train step's hot
 * built-ins) registered first, and on wasm our Mean and FusedBatchNorm
 * gradients (mean-grad.ts, batch-norm-grad.ts). Only training processes and workers call this;
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
  const choice = await initBackend(options);
  // Same values as tfjs's own gradients, faster on wasm. The gradient registry is global, so they
  // are set only when wasm is chosen, as before the split: a cpu process (the reference the wasm
  // path is tested against) keeps tfjs's own.
  if (choice.backend === 'wasm') {
    registerMeanGrad();
    registerBatchNormGrad();
  }
  return choice;
}
