import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BACKEND_ENV_VAR, backendFromEnv, initBackend } from '../../../server/ml/runtime/backend.ts';
import { registerWasmTrainingKernels, WASM_KERNEL_OVERRIDES } from '../../../training/runtime/wasm-kernels/index.ts';

const require = createRequire(import.meta.url);
const hasTfjsNode = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

const savedEnv = process.env[BACKEND_ENV_VAR];
afterEach(() => {
  if (savedEnv === undefined) delete process.env[BACKEND_ENV_VAR];
  else process.env[BACKEND_ENV_VAR] = savedEnv;
  vi.restoreAllMocks();
});

describe('initBackend', () => {
  // First test on purpose: the banner is printed on the cpu backend's first write.
  it('keeps the "looks like you are running TensorFlow.js in Node.js" banner out of the logs', async () => {
    const warn = vi.spyOn(console, 'warn');
    await initBackend({ force: 'cpu' });
    tf.tensor([1, 2, 3]).square().dataSync();
    expect(warn.mock.calls.flat().join(' ')).not.toContain('looks like you are running');
  });

  it.each(['wasm', 'cpu'] as const)('force %s activates it', async (name) => {
    const choice = await initBackend({ force: name });
    expect(choice.backend).toBe(name);
    expect(choice.reason).toContain('options.force');
    expect(tf.getBackend()).toBe(name);
    expect(Array.from(tf.tensor([1, 2]).mul(3).dataSync())).toEqual([3, 6]);
  });

  it('follows EMOTION_TF_BACKEND', async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    const choice = await initBackend();
    expect(choice).toEqual({ backend: 'cpu', reason: `forced by ${BACKEND_ENV_VAR}` });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('options.force wins over the env var', async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    expect((await initBackend({ force: 'wasm' })).backend).toBe('wasm');
  });

  it('rejects an unknown EMOTION_TF_BACKEND value with a clear error', async () => {
    process.env[BACKEND_ENV_VAR] = 'gpu';
    await expect(initBackend()).rejects.toThrow(/EMOTION_TF_BACKEND='gpu' is not one of node\|wasm\|cpu/);
    expect(() => backendFromEnv({ [BACKEND_ENV_VAR]: ' WASM ' })).not.toThrow();
    expect(backendFromEnv({ [BACKEND_ENV_VAR]: ' WASM ' })).toBe('wasm');
    expect(backendFromEnv({})).toBeUndefined();
  });

  it.skipIf(hasTfjsNode)('forcing node without @tensorflow/tfjs-node is a clear error', async () => {
    await expect(initBackend({ force: 'node' })).rejects.toThrow(/'node' was forced .*tfjs-node cannot be loaded/);
    process.env[BACKEND_ENV_VAR] = 'node';
    await expect(initBackend()).rejects.toThrow(/forced \(EMOTION_TF_BACKEND\)/);
  });

  it('picks tfjs-node when installed, else wasm, and says why', async () => {
    delete process.env[BACKEND_ENV_VAR];
    const log = vi.fn();
    const choice = await initBackend({ log });
    expect(choice.backend).toBe(hasTfjsNode ? 'node' : 'wasm');
    if (!hasTfjsNode) expect(choice.reason).toMatch(/tfjs-node unavailable/);
    expect(log).toHaveBeenCalledWith(`tfjs backend: ${choice.backend} (${choice.reason})`);
  });

  it('is idempotent', async () => {
    const first = await initBackend({ force: 'wasm' });
    const kernel = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    const second = await initBackend({ force: 'wasm' });
    expect(second).toEqual(first);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBe(kernel);
    expect(tf.getBackend()).toBe('wasm');
  });

  // Last on purpose: registering the training kernels changes the process's wasm kernels.
  it('serves wasm inference on tfjs kernels: the training replacements are not installed', async () => {
    await initBackend({ force: 'wasm' });
    // Had initBackend installed them, this call would find them in place and change nothing.
    expect(registerWasmTrainingKernels().sort()).toEqual(WASM_KERNEL_OVERRIDES.map((o) => o.kernelName).sort());
  });
});
