/**
 * The ONNX files of a model folder: their metadata and which one to serve.
 * An exported file records the sha256 of the weights it came from; a file whose
 * weights have changed since (re-saved model, forgotten re-export) is stale
 * and never served.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { MODEL_INT8_ONNX, MODEL_ONNX, ONNX_WEIGHTS_HASH_KEY } from './files.ts';
import { weightsSha256 } from './weights.ts';

/** metadata_props of an encoded model (decodes the whole file: fine for models of a few MB). */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  const out: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) if (p.key) out[p.key] = p.value ?? '';
  return out;
}

export function hasOnnx(dir: string): boolean {
  return existsSync(join(dir, MODEL_ONNX));
}

export type OnnxPrecision = 'fp32' | 'int8';
export type OnnxChoice = { ok: true; file: string; precision: OnnxPrecision } | { ok: false; reason: string };

/**
 * The ONNX file to serve from a folder. `auto` prefers the int8 file, which the
 * exporter only keeps when it passed the accuracy gate.
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
