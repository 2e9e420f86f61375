/**
 * Publishes a trained model into the served folder in one step: everything is
 * written to a temp folder beside it, then swapped in by rename, so a server
 * watching the folder never sees a half-written model.
 */

import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeModelHashes } from '../../server/ml/model-folder/hashes.ts';
import type { ModelMetrics } from '../../server/ml/model-folder/metrics.ts';
import { updateCalibrationCard } from '../calibration/card-section.ts';
import type { Fer2013Data } from '../data/fer2013-reader.ts';
import type { Architecture } from '../model/architectures.ts';
import { buildArchitecture, countFlops } from '../model/architectures.ts';
import { saveModelFolder } from '../model/save-model.ts';
import { exportOnnx } from '../onnx/export.ts';
import { exportInt8WithGate, type Int8GateResult } from '../onnx/int8.ts';
import { renderModelCard } from './model-card.ts';
import { confusionMatrixSvg, trainingCurveSvg } from './plots.ts';
import { PublishRefused, publishVerdict, servedPublicAccuracy } from './publish-guard.ts';
import type { TrainResult } from './train-types.ts';

export interface PublishInput {
  out: string;
  arch: Architecture;
  result: TrainResult;
  config: Record<string, unknown>;
  /** Whether the server should average with the mirrored frame. */
  tta: boolean;
  dataFiles: string[];
  /** The FER2013 file's rows, for int8 calibration (Training) and its accuracy gate (PublicTest). */
  fer?: Fer2013Data;
  log: (line: string) => void;
  /** Publish even when the folder's current model serves a higher PublicTest accuracy (publish-guard.ts). */
  force?: boolean;
}

export function buildModelWithWeights(arch: Architecture, weights: Float32Array[]): tf.LayersModel {
  const model = buildArchitecture(arch);
  const tensors = model.weights.map((w, i) => tf.tensor(weights[i] as Float32Array, w.shape as number[]));
  model.setWeights(tensors);
  tf.dispose(tensors);
  return model;
}

export async function publishModel(input: PublishInput): Promise<ModelMetrics> {
  const { out, arch, result } = input;
  const model = buildModelWithWeights(arch, result.weights);
  const metrics: ModelMetrics = {
    architecture: arch,
    backend: result.backend,
    params: model.countParams(),
    flopsPerImage: countFlops(model),
    epochs: result.epochsRun,
    bestEpoch: result.bestEpoch,
    wallTimeS: Math.round(result.wallTimeS),
    trainImgPerSec: Math.round(result.trainImgPerSec * 10) / 10,
    served: { tta: input.tta },
    interim: Boolean(input.config.interim),
    servedFlopsPerFrame: countFlops(model) * (input.tta ? 2 : 1),
    evaluation: result.evaluation,
    history: result.history,
    training: input.config,
    data: input.dataFiles.map((f) => basename(f)),
    createdAt: new Date().toISOString(),
  };
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await saveModelFolder(model, tmp);
  model.dispose();
  await writeFile(join(tmp, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  const split = input.tta ? 'flipTta' : 'plain';
  await writeFile(
    join(tmp, 'confusion-matrix.svg'),
    confusionMatrixSvg(result.evaluation.PrivateTest[split].confusion, `PrivateTest confusion (${arch})`),
  );
  await writeFile(join(tmp, 'training-curve.svg'), trainingCurveSvg(result.history, arch));
  await exportOnnxIfAvailable(tmp, input.fer, input.log);
  // After the export, so the card can say which weights the server actually runs.
  await writeFile(join(tmp, 'MODEL_CARD.md'), renderModelCard(metrics, await comparisons(out), await int8Report(tmp)));
  // Last: the server refuses a folder whose files do not match this list (model-hashes.ts).
  await writeModelHashes(tmp);
  if (existsSync(out)) {
    const refusal = publishVerdict(await servedPublicAccuracy(out), await servedPublicAccuracy(tmp));
    if (refusal && !input.force) {
      // Keep the trained model: hours of training should not vanish because it lost the comparison.
      const kept = join(dirname(out), `refused-${basename(out)}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      await rename(tmp, kept);
      throw new PublishRefused(
        `not published into ${out}: ${refusal}. The new model is kept in ${kept}; rerun with --force to publish such a model.`,
      );
    }
    if (refusal) input.log(`--force: publishing although ${refusal}`);
  }
  const old = join(dirname(out), `.${basename(out)}.old-${process.pid}`);
  if (existsSync(out)) await rename(out, old);
  await rename(tmp, out);
  await rm(old, { recursive: true, force: true });
  input.log(`published model to ${out}`);
  return metrics;
}

/**
 * Re-renders a published folder's MODEL_CARD.md from its metrics.json and its current
 * neighbours: after models are renamed or promoted, the cards' comparison rows follow.
 */
export async function rewriteModelCard(dir: string): Promise<void> {
  const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as ModelMetrics;
  await writeFile(join(dir, 'MODEL_CARD.md'), renderModelCard(metrics, await comparisons(dir), await int8Report(dir)));
  // A folder calibrated by `npm run calibrate` (calibration.json, version 2) gets that tool's
  // section, as calibrating wrote it; renderModelCard only knows the metrics' summary.
  updateCalibrationCard(dir);
}

/** The int8 gate's report in a model folder, when the export ran. */
async function int8Report(dir: string): Promise<Int8GateResult | undefined> {
  const file = join(dir, 'model.int8.json');
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as Int8GateResult) : undefined;
}

/** Other shipped models' metrics, for the card's comparison table. */
async function comparisons(out: string): Promise<{ name: string; metrics: ModelMetrics }[]> {
  const { readdir } = await import('node:fs/promises');
  const root = dirname(out);
  const found: { name: string; metrics: ModelMetrics }[] = [];
  for (const name of existsSync(root) ? await readdir(root) : []) {
    if (name.startsWith('.') || join(root, name) === out) continue;
    const file = join(root, name, 'metrics.json');
    if (!existsSync(file)) continue;
    try {
      found.push({ name, metrics: JSON.parse(await readFile(file, 'utf8')) as ModelMetrics });
    } catch {
      // A malformed neighbour is not this publish's problem.
    }
  }
  return found;
}

/**
 * model.onnx is what the server serves by default; model.int8.onnx is kept only when
 * its PublicTest accuracy is within 0.5 points of fp32. A failure here leaves a
 * model the server can still serve with tfjs, so it is logged, not fatal.
 */
async function exportOnnxIfAvailable(
  dir: string,
  fer: Fer2013Data | undefined,
  log: (line: string) => void,
): Promise<void> {
  try {
    await exportOnnx(dir);
    log('wrote model.onnx');
  } catch (err) {
    log(
      `ONNX export failed (the server will serve this model with tfjs): ${err instanceof Error ? err.message : String(err)}`,
    );
    return;
  }
  if (!fer) return;
  try {
    const r = await exportInt8WithGate(dir, fer);
    log(
      `int8: PublicTest ${(r.fp32Accuracy * 100).toFixed(2)}% fp32 → ${(r.int8Accuracy * 100).toFixed(2)}% int8 ` +
        `(${r.dropPoints.toFixed(2)} points); ${r.kept ? 'kept model.int8.onnx' : 'not kept'}`,
    );
  } catch (err) {
    log(`int8 export failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
