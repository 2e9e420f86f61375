/** Shapes of evaluation reports and of a model folder's metrics.json, and its reading. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Emotion } from '../../../shared/emotions.ts';
import { METRICS_JSON } from './files.ts';

export interface ClassReport {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true examples of this class. */
  support: number;
}

export interface EvalReport {
  n: number;
  accuracy: number;
  macroF1: number;
  /** Only classes present in the evaluated data appear here. */
  perClass: Partial<Record<Emotion, ClassReport>>;
  /** confusion[true][predicted], 7×7 in FER2013 order. */
  confusion: number[][];
}

export interface SplitReports {
  plain: EvalReport;
  flipTta: EvalReport;
}

export interface ModelMetrics {
  architecture: string;
  backend: string;
  params: number;
  flopsPerImage: number;
  epochs: number;
  bestEpoch: number;
  wallTimeS: number;
  trainImgPerSec: number;
  /** What the server does at inference: with flip TTA the cost per frame doubles. */
  served: { tta: boolean };
  /** `ferplus`: the same splits scored on FER+ majority labels (models trained with a FER+ file). */
  evaluation: {
    PublicTest: SplitReports;
    PrivateTest?: SplitReports;
    ferplus?: { PublicTest: SplitReports; PrivateTest?: SplitReports };
  };
  [extra: string]: unknown;
}

/**
 * Recall per emotion on PublicTest in the configuration the server uses: with a meter
 * calibration (npm run calibrate), the calibrated FER+ majority-label recall it
 * recorded; otherwise the original-label recall of the served configuration.
 */
export function servedPublicRecall(m: ModelMetrics): Partial<Record<Emotion, number>> {
  const calibrated = (m.calibration as { ferplusPublicRecall?: Record<string, unknown> } | undefined)
    ?.ferplusPublicRecall;
  if (calibrated) {
    const out: Partial<Record<Emotion, number>> = {};
    for (const [k, v] of Object.entries(calibrated)) if (typeof v === 'number') out[k as Emotion] = v;
    return out;
  }
  const r = m.served.tta ? m.evaluation.PublicTest.flipTta : m.evaluation.PublicTest.plain;
  const out: Partial<Record<Emotion, number>> = {};
  for (const [k, v] of Object.entries(r.perClass)) if (v) out[k as Emotion] = v.recall;
  return out;
}

/** metrics.json when present and parseable; null otherwise (a missing file is normal for fresh models). */
export async function readModelMetrics(dir: string): Promise<ModelMetrics | null> {
  const file = join(dir, METRICS_JSON);
  if (!existsSync(file)) return null;
  try {
    const m = JSON.parse(await readFile(file, 'utf8')) as ModelMetrics;
    return m && typeof m === 'object' ? m : null;
  } catch {
    return null;
  }
}

/** Whether the folder asks for flip TTA at serving time (metrics.json served.tta). */
export function servedTta(metrics: ModelMetrics | null): boolean {
  return metrics?.served?.tta === true;
}
