import { describe, expect, it } from 'vitest';
import {
  type ChunkForward,
  normalizeChunk,
  predictChunked,
  predictFrames,
} from '../../../server/ml/engine/chunked-predict.ts';
import { normalizePixels } from '../../../server/ml/engine/preprocess.ts';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';

/** n frames; frame i is filled with the value i (so a fake model can tell frames apart). */
function packed(n: number): Uint8Array {
  const p = new Uint8Array(n * FRAME_BYTES);
  for (let i = 0; i < n; i++) p.fill(i, i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
  return p;
}

interface Call {
  frames: number[];
  k: number;
  withFlip: boolean;
}

/**
 * A fake model: row r of the result is [id, id+0.1, …] where id is the frame's
 * fill value, plus 100 for the mirrored rows, so averaging is visible.
 */
function fakeForward(calls: Call[]): ChunkForward {
  return async (pixels, k, withFlip) => {
    expect(pixels.byteLength).toBe(k * FRAME_BYTES);
    const frames = Array.from({ length: k }, (_, i) => pixels[i * FRAME_BYTES] as number);
    calls.push({ frames, k, withFlip });
    const rows = withFlip ? 2 * k : k;
    const out = new Float32Array(rows * EMOTION_COUNT);
    for (let r = 0; r < rows; r++) {
      const id = (frames[r % k] as number) + (r >= k ? 100 : 0);
      for (let c = 0; c < EMOTION_COUNT; c++) out[r * EMOTION_COUNT + c] = id + c / 10;
    }
    return out;
  };
}

describe('predictChunked', () => {
  it('splits the batch into chunks and returns each frame’s row in order', async () => {
    const calls: Call[] = [];
    const out = await predictChunked(packed(7), fakeForward(calls), { chunk: 3, tta: false });
    expect(calls).toEqual([
      { frames: [0, 1, 2], k: 3, withFlip: false },
      { frames: [3, 4, 5], k: 3, withFlip: false },
      { frames: [6], k: 1, withFlip: false },
    ]);
    expect(out).toHaveLength(7 * EMOTION_COUNT);
    for (let i = 0; i < 7; i++) {
      for (let c = 0; c < EMOTION_COUNT; c++) expect(out[i * EMOTION_COUNT + c]).toBeCloseTo(i + c / 10, 5);
    }
  });

  it('with flip TTA asks for the mirrored rows and averages them with the plain ones', async () => {
    const calls: Call[] = [];
    const out = await predictChunked(packed(5), fakeForward(calls), { chunk: 2, tta: true });
    expect(calls.map((c) => [c.k, c.withFlip])).toEqual([
      [2, true],
      [2, true],
      [1, true],
    ]);
    for (let i = 0; i < 5; i++) {
      // mean of (i + c/10) and (i + 100 + c/10)
      for (let c = 0; c < EMOTION_COUNT; c++) expect(out[i * EMOTION_COUNT + c]).toBeCloseTo(i + 50 + c / 10, 5);
    }
  });

  it('ignores extra rows a forward pass returns and honours a custom class count', async () => {
    const forward: ChunkForward = async (_pixels, k) => new Float32Array(k * 2 + 4).fill(0.25);
    const out = await predictChunked(packed(3), forward, { chunk: 8, tta: false, classes: 2 });
    expect(Array.from(out)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
  });

  it('returns an empty result without calling the model for no frames', async () => {
    const calls: Call[] = [];
    const out = await predictChunked(new Uint8Array(0), fakeForward(calls), { chunk: 4, tta: true });
    expect(out).toHaveLength(0);
    expect(calls).toHaveLength(0);
  });

  it('rejects a buffer that is not whole frames, and a chunk below 1', async () => {
    const forward = fakeForward([]);
    await expect(predictChunked(new Uint8Array(FRAME_BYTES + 1), forward, { chunk: 4, tta: false })).rejects.toThrow(
      RangeError,
    );
    await expect(predictChunked(packed(2), forward, { chunk: 0, tta: false })).rejects.toThrow(/chunk/);
  });

  it('propagates a failing forward pass', async () => {
    const forward: ChunkForward = async () => {
      throw new Error('disposed');
    };
    await expect(predictChunked(packed(1), forward, { chunk: 1, tta: false })).rejects.toThrow('disposed');
  });
});

describe('normalizeChunk', () => {
  const pixels = new Uint8Array(2 * FRAME_BYTES);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) & 255;

  it('is normalizePixels when there is no flip', () => {
    expect(normalizeChunk(pixels, false)).toEqual(normalizePixels(pixels));
  });

  it('appends the mirrored frames after the plain ones', () => {
    const x = normalizeChunk(pixels, true);
    expect(x).toHaveLength(4 * FRAME_BYTES);
    expect(x.subarray(0, 2 * FRAME_BYTES)).toEqual(normalizePixels(pixels));
    expect(x.subarray(2 * FRAME_BYTES)).toEqual(normalizePixels(pixels, { flip: true }));
  });

  it('writes into a larger scratch buffer and returns a view of exactly the input size', () => {
    const scratch = new Float32Array(10 * FRAME_BYTES);
    const x = normalizeChunk(pixels, true, scratch);
    expect(x.buffer).toBe(scratch.buffer);
    expect(x).toHaveLength(4 * FRAME_BYTES);
    expect(Array.from(x)).toEqual(Array.from(normalizeChunk(pixels, true)));
    expect(() => normalizeChunk(pixels, true, new Float32Array(FRAME_BYTES))).toThrow(RangeError);
  });
});

describe('predictFrames', () => {
  it('packs the frames into one call and splits the result into one vector per frame', async () => {
    const seen: number[] = [];
    const predictPacked = async (p: Uint8Array) => {
      seen.push(p.byteLength);
      return predictChunked(p, fakeForward([]), { chunk: 2, tta: false });
    };
    const frames = Array.from({ length: 3 }, (_, i) => new Uint8Array(FRAME_BYTES).fill(i));
    const out = await predictFrames(frames, predictPacked);
    expect(seen).toEqual([3 * FRAME_BYTES]);
    expect(out).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(out[i]).toHaveLength(EMOTION_COUNT);
      expect(out[i]?.[0]).toBe(i);
    }
  });

  it('answers no frames without calling the engine, and rejects a frame of the wrong size', async () => {
    const calls: Uint8Array[] = [];
    const predictPacked = async (p: Uint8Array) => {
      calls.push(p);
      return new Float32Array(0);
    };
    expect(await predictFrames([], predictPacked)).toEqual([]);
    await expect(predictFrames([new Uint8Array(10)], predictPacked)).rejects.toThrow(RangeError);
    expect(calls).toHaveLength(0);
  });
});
