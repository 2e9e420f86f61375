/**
 * Run-folder checkpoints: everything needed to continue a run exactly (weights,
 * AdamW moments, position in the epoch, best-so-far, history). Each file is written
 * to a temp name and renamed, so an interruption never leaves a torn checkpoint.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../server/util/write-file-atomic.ts';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  publicAcc: number;
  publicMacroF1: number;
  /** FER+ majority-label accuracy on PublicTest (runs with a FER+ file). */
  publicFerPlusAcc?: number;
  /** The selection criterion's value (runs that declare one other than PublicTest accuracy). */
  score?: number;
  lr: number;
  seconds: number;
  imgPerSec: number;
}

export interface CheckpointMeta {
  version: 1;
  config: Record<string, unknown>;
  /** Epoch in progress (0-based) and the next step to run in it. */
  epoch: number;
  step: number;
  globalStep: number;
  adamStep: number;
  best: { epoch: number; publicAcc: number; score?: number } | null;
  history: EpochRecord[];
  elapsedS: number;
  trainImages: number;
  savedAt: string;
}

const META = 'checkpoint.json';
const WEIGHTS = 'weights.bin';
const OPT_M = 'adam-m.bin';
const OPT_V = 'adam-v.bin';
const BEST = 'best-weights.bin';

export interface CheckpointData {
  meta: CheckpointMeta;
  weights: Float32Array[];
  m: Float32Array[];
  v: Float32Array[];
}

function pack(arrays: readonly Float32Array[]): Uint8Array {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Float32Array(total);
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  return new Uint8Array(out.buffer);
}

function unpack(bytes: Buffer, sizes: readonly number[]): Float32Array[] {
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const expected = sizes.reduce((a, b) => a + b, 0);
  if (all.length !== expected) throw new Error(`checkpoint holds ${all.length} values, the model needs ${expected}`);
  const out: Float32Array[] = [];
  let off = 0;
  for (const n of sizes) {
    out.push(all.slice(off, off + n));
    off += n;
  }
  return out;
}

export async function saveCheckpoint(dir: string, data: CheckpointData): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, WEIGHTS), pack(data.weights));
  await writeFileAtomic(join(dir, OPT_M), pack(data.m));
  await writeFileAtomic(join(dir, OPT_V), pack(data.v));
  // The meta file goes last: it is what marks the checkpoint complete.
  await writeFileAtomic(join(dir, META), JSON.stringify(data.meta, null, 2));
}

export async function saveBestWeights(dir: string, weights: readonly Float32Array[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, BEST), pack(weights));
}

export async function loadBestWeights(dir: string, sizes: readonly number[]): Promise<Float32Array[]> {
  return unpack(await readFile(join(dir, BEST)), sizes);
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, META));
}

export async function loadCheckpoint(
  dir: string,
  weightSizes: readonly number[],
  trainableSizes: readonly number[],
): Promise<CheckpointData> {
  const meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as CheckpointMeta;
  if (meta.version !== 1) throw new Error(`unsupported checkpoint version in ${dir}`);
  return {
    meta,
    weights: unpack(await readFile(join(dir, WEIGHTS)), weightSizes),
    m: unpack(await readFile(join(dir, OPT_M)), trainableSizes),
    v: unpack(await readFile(join(dir, OPT_V)), trainableSizes),
  };
}
