/**
 * int8 export: calibrates activation ranges by running the float graph (with its
 * intermediate tensors exposed) over sample faces, then writes the QDQ graph.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createOnnxEngine, loadOrt } from '../../server/ml/engine/onnx-engine.ts';
import { normalizePixels } from '../../server/ml/engine/preprocess.ts';
import { MODEL_INT8_ONNX, MODEL_ONNX, ONNX_WEIGHTS_HASH_KEY } from '../../server/ml/model-folder/files.ts';
import { readModelMetrics, servedTta } from '../../server/ml/model-folder/metrics.ts';
import { weightsSha256 } from '../../server/ml/model-folder/weights.ts';
import { writeFileAtomic } from '../../server/util/write-file-atomic.ts';
import { FRAME_BYTES, FRAME_CHANNELS, FRAME_HEIGHT, FRAME_WIDTH } from '../../shared/frame.ts';
import { type LabeledImages, selectUsage } from '../data/dataset.ts';
import type { Fer2013Data } from '../data/fer2013-reader.ts';
import { evaluateClassification } from '../eval/classification-metrics.ts';
import { convertToOnnxGraph } from './convert.ts';
import { encodeOnnxModel } from './encode.ts';
import type { OnnxGraph } from './graph.ts';
import { readKerasModel } from './keras-model.ts';
import { quantizeGraph, type Range, tensorsToCalibrate } from './quantize.ts';

export const INT8_REPORT_JSON = 'model.int8.json';

export async function calibrateRanges(graph: OnnxGraph, images: Uint8Array, batch = 64): Promise<Map<string, Range>> {
  const ort = await loadOrt();
  const tensors = tensorsToCalibrate(graph);
  const bytes = encodeOnnxModel(graph, 'calibration', tensors);
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'basic', intraOpNumThreads: 1 });
  const ranges = new Map<string, Range>(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  const n = images.byteLength / FRAME_BYTES;
  try {
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const x = normalizePixels(images.subarray(s * FRAME_BYTES, e * FRAME_BYTES));
      const out = await session.run(
        { [graph.input.name]: new ort.Tensor('float32', x, [e - s, FRAME_HEIGHT, FRAME_WIDTH, FRAME_CHANNELS]) },
        tensors,
      );
      for (const t of tensors) {
        const d = out[t]?.data as Float32Array;
        const r = ranges.get(t) as Range;
        for (let i = 0; i < d.length; i++) {
          const v = d[i] as number;
          if (v < r.min) r.min = v;
          if (v > r.max) r.max = v;
        }
      }
    }
  } finally {
    await session.release();
  }
  return ranges;
}

/** Writes <modelDir>/model.int8.onnx calibrated on `images` (n×2304 faces, e.g. Training rows). */
export async function exportInt8Onnx(
  modelDir: string,
  images: Uint8Array,
  options: { outFile?: string } = {},
): Promise<{ file: string; bytes: number; ops: Record<string, number> }> {
  const dir = resolve(modelDir);
  const graph = convertToOnnxGraph(await readKerasModel(dir));
  const q = quantizeGraph(graph, await calibrateRanges(graph, images));
  const bytes = encodeOnnxModel(q, 'int8 QDQ (per-channel weights, calibrated uint8 activations)', [], {
    [ONNX_WEIGHTS_HASH_KEY]: await weightsSha256(dir),
  });
  const file = resolve(options.outFile ?? join(dir, MODEL_INT8_ONNX));
  await writeFileAtomic(file, bytes);
  const ops: Record<string, number> = {};
  for (const n of q.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  return { file, bytes: bytes.byteLength, ops };
}

export interface Int8GateResult {
  kept: boolean;
  usage: 'PublicTest';
  n: number;
  calibrationImages: number;
  tta: boolean;
  fp32Accuracy: number;
  int8Accuracy: number;
  /** Accuracy points lost (positive = int8 worse). */
  dropPoints: number;
  maxDropPoints: number;
  /** The kept file's name inside the model folder (relative, so the report stays true when the folder moves). */
  file: string | null;
}

async function accuracyOf(modelDir: string, file: string, rows: LabeledImages, tta: boolean): Promise<number> {
  const engine = await createOnnxEngine({ modelDir, file, tta, intraOpThreads: 1 });
  try {
    const probs = await engine.predictPacked(rows.images.subarray(0, rows.count * FRAME_BYTES));
    return evaluateClassification(rows.labels, probs, rows.count).accuracy;
  } finally {
    await engine.dispose();
  }
}

/** Every k-th Training image, up to n: a deterministic calibration set spread over the file. */
export function calibrationSample(data: Fer2013Data, n: number): Uint8Array {
  const train = selectUsage(data, 'Training');
  const src = train.count > 0 ? train : selectUsage(data, 'all');
  const take = Math.min(n, src.count);
  const step = src.count / take;
  const out = new Uint8Array(take * FRAME_BYTES);
  for (let i = 0; i < take; i++) {
    const j = Math.floor(i * step);
    out.set(src.images.subarray(j * FRAME_BYTES, (j + 1) * FRAME_BYTES), i * FRAME_BYTES);
  }
  return out;
}

/**
 * Builds model.int8.onnx and keeps it only if PublicTest accuracy (served TTA
 * setting, same engine code as the server) drops by less than `maxDropPoints`
 * against model.onnx. Otherwise removes it, so the server keeps serving fp32.
 * Writes model.int8.json with the numbers either way.
 */
export async function exportInt8WithGate(
  modelDir: string,
  data: Fer2013Data,
  options: { calibrationImages?: number; maxDropPoints?: number } = {},
): Promise<Int8GateResult> {
  const dir = resolve(modelDir);
  const maxDropPoints = options.maxDropPoints ?? 0.5;
  const publicTest = selectUsage(data, 'PublicTest');
  if (publicTest.count === 0) throw new Error('the data has no PublicTest rows to check int8 accuracy on');
  const calib = calibrationSample(data, options.calibrationImages ?? 1000);
  const candidate = join(dir, `${MODEL_INT8_ONNX}.candidate`);
  await exportInt8Onnx(dir, calib, { outFile: candidate });
  const tta = servedTta(await readModelMetrics(dir));
  let result: Int8GateResult;
  try {
    const fp32Accuracy = await accuracyOf(dir, join(dir, MODEL_ONNX), publicTest, tta);
    const int8Accuracy = await accuracyOf(dir, candidate, publicTest, tta);
    const dropPoints = 100 * (fp32Accuracy - int8Accuracy);
    const kept = dropPoints < maxDropPoints;
    const file = join(dir, MODEL_INT8_ONNX);
    if (kept) await rename(candidate, file);
    else await rm(file, { force: true });
    // The model is built in a temp folder and renamed into place, so an absolute path would name the temp folder.
    result = {
      kept,
      usage: 'PublicTest',
      n: publicTest.count,
      calibrationImages: calib.byteLength / FRAME_BYTES,
      tta,
      fp32Accuracy,
      int8Accuracy,
      dropPoints,
      maxDropPoints,
      file: kept ? MODEL_INT8_ONNX : null,
    };
  } finally {
    await rm(candidate, { force: true });
  }
  await writeFile(join(dir, INT8_REPORT_JSON), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
