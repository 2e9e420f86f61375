/**
 * A model folder's weights as plain data, read straight from model.json's
 * manifest and the weight files (no tfjs, no model built, so names carry no
 * tfjs de-duplication suffix). The tfjs engine, the ONNX exporter and the
 * trainer's warm start all read weights through here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelFolderError } from './files.ts';
import { checkModelFolder, type ModelJsonFile, type WeightSpec } from './model-json.ts';

export interface WeightBytes {
  json: ModelJsonFile;
  /** The manifest's entries in file order. */
  specs: WeightSpec[];
  /** Every weight file's bytes, concatenated in manifest order, in a fresh 4-byte-aligned buffer. */
  bytes: Uint8Array;
}

/** Checks the folder (checkModelFolder) and reads its weight bytes. */
export async function readWeightBytes(dirIn: string): Promise<WeightBytes> {
  const dir = resolve(dirIn);
  const json = await checkModelFolder(dir);
  const specs: WeightSpec[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readFile(join(dir, p)));
  }
  // A fresh copy: its buffer is exactly the bytes (a pooled Buffer's need not be) and 4-byte aligned.
  const bytes = new Uint8Array(buffers.reduce((s, b) => s + b.byteLength, 0));
  let off = 0;
  for (const b of buffers) {
    bytes.set(b, off);
    off += b.byteLength;
  }
  return { json, specs, bytes };
}

export interface FolderWeight {
  shape: number[];
  values: Float32Array;
}

/**
 * Splits weight bytes into float32 arrays by manifest name (pure). Each array
 * views `bytes`, which the caller owns: the exporter folds batch norms into them.
 */
export function splitWeights(
  specs: readonly WeightSpec[],
  bytes: Uint8Array,
  dir = '<memory>',
): Map<string, FolderWeight> {
  if (bytes.byteOffset % 4 !== 0) throw new Error('weight bytes must start 4-byte aligned');
  const out = new Map<string, FolderWeight>();
  let off = 0;
  for (const w of specs) {
    if (w.dtype !== 'float32' || w.quantization) {
      throw new ModelFolderError(
        dir,
        `weight ${w.name} is ${w.dtype}${w.quantization ? ' (quantised)' : ''}, expected float32`,
      );
    }
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (off + n * 4 > bytes.byteLength)
      throw new ModelFolderError(dir, 'weight files are shorter than model.json says');
    out.set(w.name, { shape: [...w.shape], values: new Float32Array(bytes.buffer, bytes.byteOffset + off, n) });
    off += n * 4;
  }
  return out;
}

/** A model folder's float32 weights by name. */
export async function readFolderWeights(dirIn: string): Promise<Map<string, FolderWeight>> {
  const dir = resolve(dirIn);
  const { specs, bytes } = await readWeightBytes(dir);
  return splitWeights(specs, bytes, dir);
}

/** sha256 of the folder's weight files, in manifest order (identifies what an ONNX file was exported from). */
export async function weightsSha256(dir: string, json?: ModelJsonFile): Promise<string> {
  const j = json ?? (await checkModelFolder(dir));
  const h = createHash('sha256');
  for (const group of j.weightsManifest) for (const p of group.paths) h.update(await readFile(join(dir, p)));
  return h.digest('hex');
}
