import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectUsage } from '../../../training/data/dataset.ts';
import { readFer2013 } from '../../../training/data/fer2013-reader.ts';
import { Replicas, type StepInput, toShared } from '../../../training/retrain/replicas.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/fer2013-sample.csv');

/**
 * The training step as the trainer runs it (worker thread, fused batch norm, seeded
 * augmentation and dropout, wasm with our replaced backprop kernels) must give the
 * gradients that tfjs's reference cpu backend gives for the same weights and batch.
 */
describe('replica gradients: wasm training path against the cpu backend', () => {
  it('agree for every trainable weight of vgg8', async () => {
    const data = await readFer2013(FIXTURE);
    const train = toShared(selectUsage(data, 'Training'));
    const evalSets = { public: toShared(selectUsage(data, 'PublicTest')) };
    const indices = Uint32Array.from({ length: 12 }, (_, i) => 3 * i);
    const run = async (backend: 'cpu' | 'wasm', weights?: Float32Array[]) => {
      const replicas = await Replicas.start(1, 'vgg8', train, evalSets, backend);
      try {
        const input: StepInput = {
          weights: weights ?? replicas.initial,
          indices,
          seed: 11,
          globalBatch: indices.length,
          classWeights: [1, 2, 1, 0.8, 1, 1.1, 1],
          labelSmoothing: 0.1,
          augment: true,
        };
        return { ...(await replicas.step(input)), weights: input.weights, specs: replicas.specs };
      } finally {
        await replicas.close();
      }
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm', cpu.weights);
    expect(wasm.lossSum).toBeCloseTo(cpu.lossSum, 3);
    const trainable = cpu.specs.filter((s) => s.trainable);
    expect(wasm.grads).toHaveLength(trainable.length);
    trainable.forEach((spec, i) => {
      const a = cpu.grads[i] as Float32Array;
      const b = wasm.grads[i] as Float32Array;
      let scale = 0;
      let diff = 0;
      for (let k = 0; k < a.length; k++) {
        scale = Math.max(scale, Math.abs(a[k] as number));
        diff = Math.max(diff, Math.abs((a[k] as number) - (b[k] as number)));
      }
      expect(scale, spec.name).toBeGreaterThan(0);
      expect(diff / scale, spec.name).toBeLessThan(1e-2);
    });
  }, 120_000);
});
