/**
 * Checks and describes a model folder (model.json + weights.bin [+ model.onnx]
 * [+ metrics.json]) before any runtime touches it, so that a broken folder fails
 * with a message that names the file and the problem instead of a tfjs or
 * onnxruntime stack trace.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MODEL_JSON } from '../../../training/model/model-io.ts';
import { readOnnxMetadata } from '../../../training/onnx/encode.ts';
import type { ModelMetrics } from './metrics.ts';

export const MODEL_ONNX = 'model.onnx';
export const MODEL_INT8_ONNX = 'model.int8.onnx';
/** metadata_props key in exported ONNX files: sha256 of the weights they were exported from. */
export const ONNX_WEIGHTS_HASH_KEY = 'emotion_arena.weights_sha256';
export const METRICS_JSON = 'metrics.json';

export class ModelFolderError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(`model folder ${dir}: ${message}`);
    this.name = 'ModelFolderError';
  }
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
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

/** Architecture name: metrics.json's, else the Sequential model's name in model.json. */
export function architectureOf(json: ModelJsonFile, metrics: ModelMetrics | null): string {
  if (metrics && typeof metrics.architecture === 'string') return metrics.architecture;
  return json.modelTopology.config?.name ?? 'unknown';
}

/** Whether the folder asks for flip TTA at serving time (metrics.json served.tta). */
export function servedTta(metrics: ModelMetrics | null): boolean {
  return metrics?.served?.tta === true;
}

export function hasOnnx(dir: string): boolean {
  return existsSync(join(dir, MODEL_ONNX));
}

/** sha256 of the folder's weight files, in manifest order (identifies what an ONNX file was exported from). */
export async function weightsSha256(dir: string, json?: ModelJsonFile): Promise<string> {
  const j = json ?? (await checkModelFolder(dir));
  const h = createHash('sha256');
  for (const group of j.weightsManifest) for (const p of group.paths) h.update(await readFile(join(dir, p)));
  return h.digest('hex');
}

export type OnnxPrecision = 'fp32' | 'int8';
export type OnnxChoice = { ok: true; file: string; precision: OnnxPrecision } | { ok: false; reason: string };

/**
 * The ONNX file to serve from a folder. An exported file records the sha256 of
 * the weights it came from; a file whose weights have changed since (re-saved
 * model, forgotten re-export) is stale and never served. `auto` prefers the int8
 * file, which export-cli only keeps when it passed the accuracy gate.
 */
export async function resolveOnnxFile(dirIn: string, precision: OnnxPrecision | 'auto' = 'auto'): Promise<OnnxChoice> {
  const dir = resolve(dirIn);
  let hash: string | null = null;
  const check = async (name: string, p: OnnxPrecision): Promise<OnnxChoice> => {
    const file = join(dir, name);
    if (!existsSync(file)) return { ok: false, reason: `${name} is missing` };
    let meta: Record<string, string>;
    try {
      meta = readOnnxMetadata(await readFile(file));
    } catch (err) {
      return { ok: false, reason: `${name} is not a valid ONNX file (${(err as Error).message})` };
    }
    const recorded = meta[ONNX_WEIGHTS_HASH_KEY];
    if (recorded) {
      hash ??= await weightsSha256(dir);
      if (recorded !== hash)
        return { ok: false, reason: `${name} is stale: the weights changed after it was exported (re-export it)` };
    }
    return { ok: true, file, precision: p };
  };
  if (precision === 'fp32') return check(MODEL_ONNX, 'fp32');
  if (precision === 'int8') return check(MODEL_INT8_ONNX, 'int8');
  const int8 = await check(MODEL_INT8_ONNX, 'int8');
  if (int8.ok) return int8;
  const fp32 = await check(MODEL_ONNX, 'fp32');
  if (fp32.ok) return fp32;
  return existsSync(join(dir, MODEL_INT8_ONNX)) ? int8 : fp32;
}
