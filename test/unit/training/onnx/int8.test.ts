import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseEngine } from '../../../../server/ml/engine/create-engine.ts';
import { createOnnxEngine } from '../../../../server/ml/engine/onnx-engine.ts';
import { resolveOnnxFile } from '../../../../server/ml/model-folder/onnx-file.ts';
import { EMOTION_COUNT } from '../../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../../shared/frame.ts';
import type { Fer2013Data } from '../../../../training/data/fer2013-reader.ts';
import { exportOnnx } from '../../../../training/onnx/export.ts';
import { exportInt8Onnx, exportInt8WithGate } from '../../../../training/onnx/int8.ts';
import { activationParams, quantizeWeights } from '../../../../training/onnx/quantize.ts';
import { loadFixture, saveRandomModel, type TempModel } from '../../../helpers/model-fixture.ts';

let data: Fer2013Data;
let model: TempModel;

beforeAll(async () => {
  data = await loadFixture();
  model = await saveRandomModel('vgg8', 21);
  await exportOnnx(model.dir);
});
afterAll(async () => {
  await model?.cleanup();
});

describe('quantisation maths', () => {
  it('uint8 activation parameters keep 0 exact and cover the range', () => {
    expect(activationParams({ min: 0, max: 1 })).toEqual({ scale: 1 / 255, zeroPoint: 0 });
    const p = activationParams({ min: -1, max: 3 });
    expect(p.scale).toBeCloseTo(4 / 255, 9);
    expect(p.zeroPoint).toBe(64);
    expect(activationParams({ min: 0, max: 0 }).scale).toBe(1);
  });

  it('int8 weights are symmetric per channel (Conv axis 0, Gemm axis 1)', () => {
    const w = Float32Array.from([0.5, -1, 2, 4]);
    const conv = quantizeWeights(w, [2, 2], 0); // channels (0.5,-1) and (2,4)
    expect(Array.from(conv.scales)).toEqual([1 / 127, 4 / 127].map(Math.fround));
    expect(Array.from(conv.q)).toEqual([64, -127, 64, 127]);
    const gemm = quantizeWeights(w, [2, 2], 1); // columns (0.5,2) and (-1,4)
    expect(Array.from(gemm.scales)).toEqual([2 / 127, 4 / 127].map(Math.fround));
    expect(Array.from(gemm.q)).toEqual([32, -32, 127, 127]);
  });
});

describe('int8 export', () => {
  it('runs as fused int8 in onnxruntime and stays close to fp32', async () => {
    const train = data.images.subarray(0, 100 * FRAME_BYTES);
    const r = await exportInt8Onnx(model.dir, train, { outFile: join(model.dir, 'probe.int8.onnx') });
    expect(r.ops.QuantizeLinear).toBeGreaterThan(0);
    const fp32 = await createOnnxEngine({ modelDir: model.dir });
    const int8 = await createOnnxEngine({ modelDir: model.dir, file: r.file });
    const all = data.images.subarray(0, data.count * FRAME_BYTES);
    const a = await fp32.predictPacked(all);
    const b = await int8.predictPacked(all);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs((a[i] as number) - (b[i] as number)));
    expect(maxDiff).toBeLessThan(0.05);
    expect(b.length).toBe(data.count * EMOTION_COUNT);
    await Promise.all([fp32.dispose(), int8.dispose()]);
    // onnxruntime fused the QDQ pattern into integer kernels.
    const opt = join(model.dir, 'probe.opt.onnx');
    const s = await ort.InferenceSession.create(r.file, {
      graphOptimizationLevel: 'extended',
      optimizedModelFilePath: opt,
    });
    await s.release();
    expect((await readFile(opt)).includes(Buffer.from('QLinearConv'))).toBe(true);
  });

  it('keeps model.int8.onnx only when it passes the accuracy gate, and the server then prefers it', async () => {
    const rejected = await exportInt8WithGate(model.dir, data, { calibrationImages: 50, maxDropPoints: -100 });
    expect(rejected.kept).toBe(false);
    expect((await resolveOnnxFile(model.dir)).ok && (await resolveOnnxFile(model.dir, 'int8')).ok).toBe(false);
    const report = JSON.parse(await readFile(join(model.dir, 'model.int8.json'), 'utf8'));
    expect(report).toMatchObject({ kept: false, usage: 'PublicTest', n: 140, calibrationImages: 50 });

    const kept = await exportInt8WithGate(model.dir, data, { calibrationImages: 50, maxDropPoints: 100 });
    expect(kept.kept).toBe(true);
    // Relative, because publishing renames the folder the gate ran in.
    expect(JSON.parse(await readFile(join(model.dir, 'model.int8.json'), 'utf8')).file).toBe('model.int8.onnx');
    expect(kept.dropPoints).toBeCloseTo(100 * (kept.fp32Accuracy - kept.int8Accuracy), 9);
    const auto = await resolveOnnxFile(model.dir);
    expect(auto.ok && auto.precision).toBe('int8');
    const fp32 = await resolveOnnxFile(model.dir, 'fp32');
    expect(fp32.ok && fp32.precision).toBe('fp32');
    const engine = await createOnnxEngine({ modelDir: model.dir, file: auto.ok ? auto.file : '' });
    expect(engine.name).toBe('onnx-int8');
    await engine.dispose();
  });

  it('never serves an ONNX file exported from other weights', async () => {
    const m = await saveRandomModel('vgg8', 22);
    await exportOnnx(m.dir);
    expect((await chooseEngine(m.dir)).engine).toBe('onnx');
    // Re-save different weights without re-exporting.
    const w = await readFile(join(m.dir, 'weights.bin'));
    w[100] = (w[100] as number) ^ 0xff;
    await writeFile(join(m.dir, 'weights.bin'), w);
    const c = await chooseEngine(m.dir);
    expect(c.engine).toBe('tfjs');
    expect(c.reason).toMatch(/model\.onnx is stale/);
    await expect(chooseEngine(m.dir, 'onnx')).rejects.toThrow(/stale/);
    await m.cleanup();
  });
});
