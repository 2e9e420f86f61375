/**
 * A real training step (forward in training mode, loss, backward through every
 * layer) of the project's CNNs on wasm gives the cpu backend's loss and
 * gradients: this is what the replacement kernels are for.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Architecture, buildArchitecture } from '../../../../training/model/architectures.ts';
import { syntheticBatch } from '../../../../training/runtime/train-vs-forward.ts';
import { initTrainingBackend } from '../../../../training/runtime/training-backend.ts';
import { relativeError, runOn } from './compare.ts';

beforeAll(async () => {
  await initTrainingBackend({ force: 'wasm' });
});

async function lossAndGrads(arch: Architecture, batch: number) {
  await tf.setBackend('cpu');
  const model = buildArchitecture(arch);
  // Dropout draws a random mask per backend; everything else is deterministic.
  for (const layer of model.layers)
    if (layer.getClassName() === 'Dropout') (layer as unknown as { rate: number }).rate = 0;
  const names = model.trainableWeights.map((w) => w.name);
  const step = () => {
    const { x, y } = syntheticBatch(batch, 7);
    const { value, grads } = tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy(y, tf.log(tf.add(model.apply(x, { training: true }) as tf.Tensor, 1e-7))),
    );
    return [value, ...model.trainableWeights.map((w) => grads[w.name] as tf.Tensor)];
  };
  try {
    const wasm = await runOn('wasm', step);
    const cpu = await runOn('cpu', step);
    return { names, wasm: wasm.values, cpu: cpu.values };
  } finally {
    model.dispose();
    await tf.setBackend('wasm');
  }
}

describe('train step on wasm matches cpu', () => {
  // Small batches: the cpu reference's Conv2DBackpropFilter reads every element
  // through TensorBuffer.get and needs seconds per image.
  it.each([
    ['vgg16', 2],
    ['seed', 1],
  ] as const)('%s, batch %i: same loss and gradients within 1e-3', { timeout: 180_000 }, async (arch, batch) => {
    const { names, wasm, cpu } = await lossAndGrads(arch, batch);
    expect(wasm.length).toBe(names.length + 1);
    expect(relativeError(wasm[0] as Float32Array, cpu[0] as Float32Array), 'loss').toBeLessThan(1e-3);
    names.forEach((name, i) => {
      const g = cpu[i + 1] as Float32Array;
      expect(
        g.some((v) => v !== 0),
        `${name} has a gradient`,
      ).toBe(true);
      expect(relativeError(wasm[i + 1] as Float32Array, g), name).toBeLessThan(1e-3);
    });
  });
});
