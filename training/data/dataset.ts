/** Split selection, class statistics and deterministic batching over FER2013 data. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { type Fer2013Data, USAGES, type Usage } from './fer2013-reader.ts';
import { createRng, type Rng } from './rng.ts';

export interface LabeledImages {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_DATA_PATH = resolve(PROJECT_ROOT, '../shared/data/fer2013.csv.gz');
/** Microsoft's FER+ votes (optional input) are looked for under this name beside the FER2013 file. */
export const FERPLUS_FILE_NAME = 'fer2013new.csv';

/** The FER+ file beside a FER2013 file (e.g. ../shared/data/fer2013new.csv), or null when there is none. */
export function defaultFerPlusPath(ferFile: string): string | null {
  const p = resolve(dirname(ferFile), FERPLUS_FILE_NAME);
  return existsSync(p) ? p : null;
}

/**
 * Where the FER2013 file is: the flag, else FER2013_CSV, else the workspace copy.
 * Returns null when none is given and the default does not exist.
 */
export function resolveDataPath(flag?: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (flag) return resolve(flag);
  if (env.FER2013_CSV) return resolve(env.FER2013_CSV);
  return existsSync(DEFAULT_DATA_PATH) ? DEFAULT_DATA_PATH : null;
}

export function selectUsage(data: Fer2013Data, usage: Usage | 'all'): LabeledImages {
  if (usage === 'all') return { images: data.images, labels: data.labels, count: data.count };
  const u = USAGES.indexOf(usage);
  const idx: number[] = [];
  for (let i = 0; i < data.count; i++) if (data.usages[i] === u) idx.push(i);
  return gather(data, idx);
}

/** Row numbers (in the file) of one split. */
export function usageIndices(data: Pick<Fer2013Data, 'usages' | 'count'>, usage: Usage): number[] {
  const u = USAGES.indexOf(usage);
  const idx: number[] = [];
  for (let i = 0; i < data.count; i++) if (data.usages[i] === u) idx.push(i);
  return idx;
}

export function gather(data: LabeledImages, indices: ArrayLike<number>): LabeledImages {
  const n = indices.length;
  const images = new Uint8Array(n * FRAME_BYTES);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k] as number;
    images.set(data.images.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES), k * FRAME_BYTES);
    labels[k] = data.labels[i] as number;
  }
  return { images, labels, count: n };
}

export function concatImages(parts: LabeledImages[]): LabeledImages {
  const count = parts.reduce((s, p) => s + p.count, 0);
  const images = new Uint8Array(count * FRAME_BYTES);
  const labels = new Uint8Array(count);
  let off = 0;
  for (const p of parts) {
    images.set(p.images.subarray(0, p.count * FRAME_BYTES), off * FRAME_BYTES);
    labels.set(p.labels.subarray(0, p.count), off);
    off += p.count;
  }
  return { images, labels, count };
}

export function classCounts(labels: ArrayLike<number>, count = labels.length): number[] {
  const counts = new Array<number>(EMOTION_COUNT).fill(0);
  for (let i = 0; i < count; i++) {
    const c = labels[i] as number;
    counts[c] = (counts[c] ?? 0) + 1;
  }
  return counts;
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, rng: Rng): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = idx[i] as number;
    idx[i] = idx[j] as number;
    idx[j] = t;
  }
  return idx;
}

export interface Batch {
  indices: Uint32Array;
}

/**
 * Deterministic shuffled batches of indices for one epoch. The same seed and epoch
 * give the same order, so an interrupted run resumes on the same batches.
 */
export function* batchIndices(
  n: number,
  batchSize: number,
  seed: number,
  epoch: number,
  dropLast = false,
): Generator<Uint32Array> {
  const order = shuffledIndices(n, createRng(seed * 1_000_003 + epoch));
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    if (dropLast && end - start < batchSize) return;
    yield order.subarray(start, end);
  }
}
