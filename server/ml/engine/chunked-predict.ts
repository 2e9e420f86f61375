/**
 * The batching every engine shares: scores a contiguous n×2304 buffer chunk by
 * chunk through an injected forward pass and, with flip test-time augmentation,
 * averages each frame's probabilities with its mirror image's; and predict() over
 * separate frames on top of that. Pure: the model is only reached through the
 * injected functions.
 */
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { normalizePixels, packFrames, splitProbabilities } from './preprocess.ts';

/**
 * One model pass over the k frames in `pixels` (k×2304 uint8). With `withFlip`
 * it scores 2k images, the k frames then their k mirror images (the input
 * {@link normalizeChunk} builds), and returns 2k rows of probabilities;
 * otherwise k rows.
 */
export type ChunkForward = (pixels: Uint8Array, k: number, withFlip: boolean) => Promise<Float32Array>;

export interface ChunkedPredictOptions {
  /** Largest number of frames given to one forward call (≥ 1). */
  chunk: number;
  /** Flip TTA: each result is the mean of the frame's and its mirror image's probabilities. */
  tta: boolean;
  /** Probabilities per frame (default EMOTION_COUNT). */
  classes?: number;
}

/**
 * Model input for one forward pass: the k frames normalised, followed with
 * `withFlip` by their k mirror images. `out` (at least that long) lets a caller
 * reuse one buffer; the result is always exactly k (or 2k) images long.
 */
export function normalizeChunk(pixels: Uint8Array, withFlip: boolean, out?: Float32Array): Float32Array {
  const len = pixels.byteLength;
  const size = withFlip ? 2 * len : len;
  const input = out ? out.subarray(0, size) : new Float32Array(size);
  if (input.length < size) throw new RangeError('normalizeChunk: output buffer too small');
  normalizePixels(pixels, { out: input });
  if (withFlip) normalizePixels(pixels, { flip: true, out: input.subarray(len) });
  return input;
}

/** Scores a packed n×2304 buffer; returns flat n×classes probabilities in frame order. */
export async function predictChunked(
  packed: Uint8Array,
  forward: ChunkForward,
  options: ChunkedPredictOptions,
): Promise<Float32Array> {
  const { chunk, tta } = options;
  const classes = options.classes ?? EMOTION_COUNT;
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunk must be a positive integer, got ${chunk}`);
  const n = packed.byteLength / FRAME_BYTES;
  if (!Number.isInteger(n)) throw new RangeError(`packed frames must be a multiple of ${FRAME_BYTES} bytes`);
  const out = new Float32Array(n * classes);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const k = end - start;
    const p = await forward(packed.subarray(start * FRAME_BYTES, end * FRAME_BYTES), k, tta);
    if (!tta) {
      out.set(p.subarray(0, k * classes), start * classes);
      continue;
    }
    for (let i = 0; i < k * classes; i++) {
      out[start * classes + i] = 0.5 * ((p[i] as number) + (p[k * classes + i] as number));
    }
  }
  return out;
}

/** EmotionEngine.predict on top of an engine's packed scorer: one probability vector per frame, in order. */
export async function predictFrames(
  frames: readonly Uint8Array[],
  predictPacked: (packed: Uint8Array) => Promise<Float32Array>,
): Promise<Float32Array[]> {
  if (frames.length === 0) return [];
  const probs = await predictPacked(packFrames(frames));
  return splitProbabilities(probs, frames.length, EMOTION_COUNT);
}
