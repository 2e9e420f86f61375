/**
 * model.json of a model folder: parsing and the check that the weight files
 * it lists exist and hold exactly the bytes its manifest describes. Every
 * reader (engines, exporter, trainer) goes through checkModelFolder first.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MODEL_JSON, ModelFolderError } from './files.ts';
import type { ModelMetrics } from './metrics.ts';

/** One weight in model.json's manifest; the trainer writes float32 only. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  /** Present only in quantised tfjs models, which this project neither writes nor reads. */
  quantization?: unknown;
}

export interface ModelJsonFile {
  modelTopology: { class_name?: string; config?: { name?: string; layers?: unknown[] } } & Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

/** Parses and sanity-checks model.json text (pure, for tests). */
export function parseModelJson(text: string, dir: string): ModelJsonFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFolderError(dir, `${MODEL_JSON} is not valid JSON (${(err as Error).message})`);
  }
  const j = json as Partial<ModelJsonFile> | null;
  if (!j || typeof j !== 'object' || !j.modelTopology || typeof j.modelTopology !== 'object') {
    throw new ModelFolderError(dir, `${MODEL_JSON} has no modelTopology: not a TensorFlow.js layers model`);
  }
  if (!Array.isArray(j.weightsManifest)) {
    throw new ModelFolderError(dir, `${MODEL_JSON} has no weightsManifest: not a TensorFlow.js layers model`);
  }
  return j as ModelJsonFile;
}

/** Bytes the manifest says each weight group's files hold together. */
export function expectedWeightBytes(json: ModelJsonFile): number {
  let total = 0;
  for (const group of json.weightsManifest) {
    for (const w of group.weights) {
      const per = DTYPE_BYTES[w.dtype];
      if (per === undefined) throw new Error(`weight ${w.name} has unsupported dtype ${w.dtype}`);
      total += per * w.shape.reduce((a, b) => a * b, 1);
    }
  }
  return total;
}

/**
 * Reads model.json and checks that the weight files exist and hold exactly the
 * bytes the manifest describes. Throws ModelFolderError otherwise.
 */
export async function checkModelFolder(dirIn: string): Promise<ModelJsonFile> {
  const dir = resolve(dirIn);
  if (!existsSync(dir)) throw new ModelFolderError(dir, 'does not exist');
  const jsonPath = join(dir, MODEL_JSON);
  if (!existsSync(jsonPath)) throw new ModelFolderError(dir, `${MODEL_JSON} is missing`);
  const json = parseModelJson(await readFile(jsonPath, 'utf8'), dir);
  let actual = 0;
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const file = join(dir, p);
      if (!existsSync(file)) throw new ModelFolderError(dir, `weights file ${p} (listed in ${MODEL_JSON}) is missing`);
      actual += (await stat(file)).size;
    }
  }
  let expected: number;
  try {
    expected = expectedWeightBytes(json);
  } catch (err) {
    throw new ModelFolderError(dir, (err as Error).message);
  }
  if (actual !== expected) {
    throw new ModelFolderError(
      dir,
      `weights hold ${actual} bytes but ${MODEL_JSON} describes ${expected}: the weights file is truncated or belongs to another model`,
    );
  }
  return json;
}

/** Architecture name: metrics.json's, else the Sequential model's name in model.json. */
export function architectureOf(json: ModelJsonFile, metrics: ModelMetrics | null): string {
  if (metrics && typeof metrics.architecture === 'string') return metrics.architecture;
  return json.modelTopology.config?.name ?? 'unknown';
}
