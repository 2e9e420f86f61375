import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizePixels } from '../../../../server/ml/engine/preprocess.ts';
import { loadModelFolder } from '../../../../server/ml/engine/tfjs-model.ts';
import { EMOTION_COUNT } from '../../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../../shared/frame.ts';
import type { Fer2013Data } from '../../../../training/data/fer2013-reader.ts';
import type { Architecture } from '../../../../training/model/architectures.ts';
import { saveModelFolder } from '../../../../training/model/save-model.ts';
import { convertToOnnxGraph, permuteFlattenRows, tfPadding } from '../../../../training/onnx/convert.ts';
import { exportOnnx } from '../../../../training/onnx/export.ts';
import { readKerasModel } from '../../../../training/onnx/keras-model.ts';
import { loadFixture, saveRandomModel, type TempModel } from '../../../helpers/model-fixture.ts';

let data: Fer2013Data;
const temps: TempModel[] = [];

beforeAll(async () => {
  data = await loadFixture();
});
afterAll(async () => {
  for (const t of temps) await t.cleanup();
});

async function tfjsProbs(dir: string, x: Float32Array, n: number): Promise<Float32Array> {
  const model = await loadModelFolder(dir);
  const input = tf.tensor4d(x, [n, 48, 48, 1]);
  const y = model.predict(input) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([input, y]);
  model.dispose();
  return out;
}

async function onnxProbs(file: string, x: Float32Array, n: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const r = await session.run({ input: new ort.Tensor('float32', x, [n, 48, 48, 1]) });
  const out = r.probs?.data as Float32Array;
  await session.release();
  return out;
}

describe('exportOnnx', () => {
  for (const arch of ['seed', 'vgg16', 'vgg8'] as Architecture[]) {
    it(`fp32 ONNX matches tfjs within 1e-4 on the fixture rows (${arch})`, async () => {
      const m = await saveRandomModel(arch, 11);
      temps.push(m);
      const r = await exportOnnx(m.dir);
      expect(r.file).toBe(join(m.dir, 'model.onnx'));
      expect(existsSync(r.file)).toBe(true);
      if (arch !== 'seed') {
        // BN folded into the convs: no BatchNormalization/Mul/Add nodes remain.
        expect(r.ops.BatchNormalization ?? 0).toBe(0);
        expect(r.ops.Mul ?? 0).toBe(0);
        expect(r.ops.Conv).toBe(8);
      }
      const n = data.count;
      const x = normalizePixels(data.images.subarray(0, n * FRAME_BYTES));
      const ref = await tfjsProbs(m.dir, x, n);
      const got = await onnxProbs(r.file, x, n);
      expect(got.length).toBe(n * EMOTION_COUNT);
      let maxDiff = 0;
      for (let i = 0; i < ref.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs((ref[i] as number) - (got[i] as number)));
      expect(maxDiff).toBeLessThan(1e-4);
      // The check is not vacuous: the random model does not output a constant.
      let spread = 0;
      for (let i = 0; i < n; i++) spread = Math.max(spread, Math.abs((ref[i * 7] as number) - (ref[0] as number)));
      expect(spread).toBeGreaterThan(1e-3);
    });
  }

  it('refuses layers it cannot convert, naming them', async () => {
    const m = temps[0] as TempModel;
    const keras = await readKerasModel(m.dir);
    keras.layers.splice(1, 0, { className: 'LSTM', name: 'rnn', config: {}, weights: new Map() });
    expect(() => convertToOnnxGraph(keras)).toThrow(/layer rnn \(LSTM\).*not supported/);
  });
});

describe('conversion helpers', () => {
  it('computes TF same/valid padding', () => {
    expect(tfPadding(48, 3, 1, 1, 'same')).toEqual({ out: 48, begin: 1, end: 1 });
    expect(tfPadding(48, 3, 1, 1, 'valid')).toEqual({ out: 46, begin: 0, end: 0 });
    expect(tfPadding(5, 2, 2, 1, 'same')).toEqual({ out: 3, begin: 0, end: 1 });
    expect(tfPadding(23, 2, 2, 1, 'valid')).toEqual({ out: 11, begin: 0, end: 0 });
  });

  it('maps NHWC flatten rows to NCHW flatten rows', () => {
    // c=2, h=1, w=2, one unit: keras rows are (x0c0, x0c1, x1c0, x1c1); onnx wants (c0x0, c0x1, c1x0, c1x1)
    const k = Float32Array.from([10, 11, 20, 21]);
    expect(Array.from(permuteFlattenRows(k, 2, 1, 2, 1))).toEqual([10, 20, 11, 21]);
  });
});

describe('exportOnnx on other layer combinations', () => {
  it('handles strided same padding, unfused BN (4-D and 2-D), padded max pooling and flatten→dense', async () => {
    const m = tf.sequential({ name: 'mixed' });
    m.add(
      tf.layers.conv2d({
        inputShape: [48, 48, 1],
        filters: 6,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        name: 'c1',
      }),
    );
    m.add(tf.layers.batchNormalization({ name: 'bn_after_relu' }));
    m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: true, name: 'c2' }));
    m.add(tf.layers.batchNormalization({ name: 'bn_c2' }));
    m.add(tf.layers.activation({ activation: 'relu', name: 'r2' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'mp' }));
    m.add(tf.layers.conv2d({ filters: 5, kernelSize: 2, strides: 2, padding: 'valid', name: 'c3' }));
    m.add(tf.layers.flatten({ name: 'fl' }));
    m.add(tf.layers.dense({ units: 9, activation: 'relu', name: 'd1' }));
    m.add(tf.layers.batchNormalization({ name: 'bn_dense' }));
    m.add(tf.layers.dense({ units: 7, activation: 'softmax', name: 'out' }));
    // Random BN statistics everywhere, as for the named architectures.
    let s = 7;
    const rnd = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    for (const layer of m.layers) {
      const ws = layer.getWeights();
      if (ws.length === 0) continue;
      const bn = layer.getClassName() === 'BatchNormalization';
      const next = ws.map((w, i) =>
        tf.tensor(
          Float32Array.from({ length: w.size }, () =>
            bn ? (i === 0 || i === 3 ? 0.5 + rnd() : rnd() - 0.5) : (rnd() - 0.5) * 0.8,
          ),
          w.shape,
        ),
      );
      layer.setWeights(next);
      tf.dispose(next);
    }
    const root = await mkdtemp(join(tmpdir(), 'ea-mixed-'));
    try {
      await saveModelFolder(m, root);
      const r = await exportOnnx(root);
      expect(r.ops.Mul).toBe(2); // bn_after_relu and bn_dense cannot fold
      expect(r.ops.MaxPool).toBe(1);
      expect(r.ops.Conv).toBe(3); // bn_c2 folded into c2
      const n = 64;
      const x = normalizePixels(data.images.subarray(0, n * FRAME_BYTES));
      const input = tf.tensor4d(x, [n, 48, 48, 1]);
      const y = m.predict(input) as tf.Tensor;
      const ref = y.dataSync();
      tf.dispose([input, y]);
      const got = await onnxProbs(r.file, x, n);
      let maxDiff = 0;
      for (let i = 0; i < ref.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs((ref[i] as number) - (got[i] as number)));
      expect(maxDiff).toBeLessThan(1e-4);
    } finally {
      m.dispose();
      await rm(root, { recursive: true, force: true });
    }
  });
});
