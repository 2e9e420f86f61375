/**
 * Retraining must not make the game worse by default: publishing into a folder that already
 * holds a model compares the two models' PublicTest accuracy *as the server would serve them*
 * (the int8 ONNX file when its gate kept it, else fp32 with or without flip TTA as metrics.json
 * says) and refuses a lower one unless --force, stating both figures.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelMetrics } from '../../server/ml/model-folder/metrics.ts';
import type { Int8GateResult } from '../onnx/int8.ts';

export interface ServedAccuracy {
  accuracy: number;
  /** What the figure is of, e.g. "int8 ONNX, PublicTest n=3589". */
  what: string;
}

export class PublishRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishRefused';
  }
}

async function readJson<T>(file: string): Promise<T | null> {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The folder's PublicTest accuracy as served, or null when its files do not say. */
export async function servedPublicAccuracy(dir: string): Promise<ServedAccuracy | null> {
  const int8 = await readJson<Int8GateResult>(join(dir, 'model.int8.json'));
  if (int8?.kept && int8.file && existsSync(join(dir, int8.file)) && Number.isFinite(int8.int8Accuracy)) {
    return { accuracy: int8.int8Accuracy, what: `int8 ONNX, PublicTest n=${int8.n}` };
  }
  const metrics = await readJson<ModelMetrics>(join(dir, 'metrics.json'));
  const tta = metrics?.served?.tta === true;
  const report = metrics?.evaluation?.PublicTest?.[tta ? 'flipTta' : 'plain'];
  if (!report || !Number.isFinite(report.accuracy)) return null;
  return { accuracy: report.accuracy, what: `fp32${tta ? ' + flip TTA' : ''}, PublicTest n=${report.n}` };
}

const pct = (a: ServedAccuracy) => `${(a.accuracy * 100).toFixed(2)}% (${a.what})`;

/**
 * Null when `candidate` may replace `current`; otherwise why not. A folder without a model, or whose
 * figures are unknown, can be replaced; a candidate without a figure cannot replace a model that has one.
 */
export function publishVerdict(current: ServedAccuracy | null, candidate: ServedAccuracy | null): string | null {
  if (!current) return null;
  if (!candidate) return `the new model has no PublicTest accuracy to compare with the current ${pct(current)}`;
  if (candidate.accuracy >= current.accuracy) return null;
  return `the new model's PublicTest accuracy as served, ${pct(candidate)}, is lower than the current model's ${pct(current)}`;
}
