/**
 * Which FER2013 rows a run trains on and the per-row soft sources that go with them
 * (pure). With FER+ votes, rows whose not-a-face votes are the most are dropped, and
 * each kept row's 7-emotion vote distribution becomes a source (rows without a game
 * emotion vote are marked missing: they train on their label). Rows of extra data
 * files come after the FER2013 rows and are missing from every per-row source.
 */
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FERPLUS_VOTE_COLUMNS, isNotAFace, writeFerPlusDistribution } from '../data/ferplus-labels.ts';
import type { SoftSource } from './soft-targets.ts';

export interface FerPlusRows {
  /** The kept rows (file row numbers), in the given order. */
  rows: number[];
  /** Vote distributions of the kept rows (rows×7). */
  probs: Float32Array;
  /** 1 where a kept row has no game-emotion vote. */
  missing: Uint8Array;
  droppedNotAFace: number;
}

/** FER+ training rows among `rows` (file row numbers) given the file's votes (count×10). */
export function ferPlusTrainingRows(votes: Uint8Array, rows: readonly number[]): FerPlusRows {
  const kept = rows.filter((r) => !isNotAFace(votes, r * FERPLUS_VOTE_COLUMNS));
  const probs = new Float32Array(kept.length * EMOTION_COUNT);
  const missing = new Uint8Array(kept.length);
  kept.forEach((r, k) => {
    if (!writeFerPlusDistribution(votes, r * FERPLUS_VOTE_COLUMNS, probs, k * EMOTION_COUNT)) missing[k] = 1;
  });
  return { rows: kept, probs, missing, droppedNotAFace: rows.length - kept.length };
}

/** A soft source over the kept FER2013 rows followed by `extraRows` rows it lacks. */
export function sourceWithExtraRows(
  name: string,
  weight: number,
  probs: Float32Array,
  missing: Uint8Array | undefined,
  extraRows: number,
): SoftSource {
  const n = probs.length / EMOTION_COUNT;
  if (extraRows === 0) return { name, weight, probs, ...(missing ? { missing } : {}) };
  const all = new Float32Array((n + extraRows) * EMOTION_COUNT);
  all.set(probs);
  const miss = new Uint8Array(n + extraRows).fill(1, n);
  if (missing) miss.set(missing);
  return { name, weight, probs: all, missing: miss };
}

/** Rows of a file-wide rows×7 array at the given row numbers. */
export function pickRows(all: Float32Array, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * EMOTION_COUNT);
  for (const [k, r] of rows.entries())
    out.set(all.subarray(r * EMOTION_COUNT, (r + 1) * EMOTION_COUNT), k * EMOTION_COUNT);
  return out;
}
