import { describe, expect, it } from 'vitest';
import {
  assertFrames,
  flipHorizontal,
  normalizePixels,
  packFrames,
  splitProbabilities,
  unpackFrames,
} from '../../../server/ml/engine/preprocess.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';

function frame(fill: (i: number) => number): Uint8Array {
  const f = new Uint8Array(FRAME_BYTES);
  for (let i = 0; i < FRAME_BYTES; i++) f[i] = fill(i) & 255;
  return f;
}

describe('preprocess', () => {
  it('scales uint8 to [0,1] float32 with /255', () => {
    const f = frame((i) => i);
    const x = normalizePixels(f);
    expect(x).toBeInstanceOf(Float32Array);
    expect(x.length).toBe(FRAME_BYTES);
    expect(x[0]).toBe(0);
    expect(x[255]).toBeCloseTo(1, 7);
    expect(x[128]).toBeCloseTo(128 / 255, 7);
  });

  it('packs frames contiguously and unpacks them as views', () => {
    const a = frame(() => 1);
    const b = frame(() => 2);
    const packed = packFrames([a, b]);
    expect(packed.byteLength).toBe(2 * FRAME_BYTES);
    expect(packed[FRAME_BYTES - 1]).toBe(1);
    expect(packed[FRAME_BYTES]).toBe(2);
    const [ua, ub] = unpackFrames(packed);
    expect(ua?.buffer).toBe(packed.buffer);
    expect(Array.from(ub ?? [])).toEqual(Array.from(b));
  });

  it('rejects frames of the wrong size with a clear message', () => {
    expect(() => assertFrames([new Uint8Array(10)])).toThrow(
      /frame 0 must be a Uint8Array of 2304 bytes.*got 10 bytes/,
    );
    expect(() => packFrames([frame(() => 0), new Uint8Array(FRAME_BYTES + 1)])).toThrow(/frame 1/);
    expect(() => normalizePixels(new Uint8Array(100))).toThrow(RangeError);
  });

  it('flips each row left-right, per image', () => {
    // pixel value = column index, so a flipped row reads 47..0
    const f = frame((i) => i % 48);
    const packed = packFrames([f, f]);
    const flipped = normalizePixels(packed, { flip: true });
    for (const row of [0, 17, 47, 48 + 5, 95]) {
      for (let x = 0; x < 48; x++) expect(flipped[row * 48 + x]).toBeCloseTo((47 - x) / 255, 7);
    }
    // flipping normalised data twice gives it back; flipping matches flip-at-normalise
    const plain = normalizePixels(packed);
    expect(flipHorizontal(plain)).toEqual(flipped);
    expect(flipHorizontal(flipHorizontal(plain))).toEqual(plain);
  });

  it('reuses an output buffer when given one', () => {
    const out = new Float32Array(2 * FRAME_BYTES);
    const r = normalizePixels(
      frame(() => 255),
      { out },
    );
    expect(r).toBe(out);
    expect(out[FRAME_BYTES - 1]).toBe(1);
    expect(out[FRAME_BYTES]).toBe(0);
  });

  it('splits probabilities and averages the flipped pass for TTA', () => {
    const p = Float32Array.from([1, 0, 0.5, 0.5]);
    const q = Float32Array.from([0, 1, 0.5, 0.5]);
    const plain = splitProbabilities(p, 2, 2);
    expect(plain.map((v) => Array.from(v))).toEqual([
      [1, 0],
      [0.5, 0.5],
    ]);
    plain[0]?.fill(9); // copies, not views of the shared buffer
    expect(p[0]).toBe(1);
    const tta = splitProbabilities(p, 2, 2, q);
    expect(tta.map((v) => Array.from(v))).toEqual([
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
  });
});
