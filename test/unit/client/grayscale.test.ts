import { describe, expect, it } from 'vitest';
import { cropToGray, hasImageContent, luma601 } from '../../../client/src/capture/grayscale.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';

function rgbaImage(w: number, h: number, px: (x: number, y: number) => [number, number, number]): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = px(x, y);
      out.set([r, g, b, 255], (y * w + x) * 4);
    }
  return out;
}

describe('BT.601 grey', () => {
  it('weights red, green and blue 0.299 / 0.587 / 0.114', () => {
    expect(luma601(255, 0, 0)).toBeCloseTo(76.245, 3);
    expect(luma601(0, 255, 0)).toBeCloseTo(149.685, 3);
    expect(luma601(0, 0, 255)).toBeCloseTo(29.07, 3);
    expect(luma601(200, 200, 200)).toBeCloseTo(200, 6);
  });

  it('converts a pure-green crop to round(0.587 × 255) everywhere', () => {
    const img = rgbaImage(96, 96, () => [0, 255, 0]);
    const out = cropToGray(img, 96, 96, { x: 0, y: 0, width: 96, height: 96 });
    expect(out.length).toBe(FRAME_BYTES);
    expect(new Set(out)).toEqual(new Set([150]));
  });
});

describe('cropToGray', () => {
  it('area-averages: a 2×2 checkerboard downscaled 2× becomes its mean grey', () => {
    const img = rgbaImage(96, 96, (x, y) => ((x + y) % 2 === 0 ? [255, 255, 255] : [0, 0, 0]));
    const out = cropToGray(img, 96, 96, { x: 0, y: 0, width: 96, height: 96 });
    for (const v of out) expect(Math.abs(v - 127.5)).toBeLessThanOrEqual(0.5);
  });

  it('reads only the crop region, row-major, top row first', () => {
    // Left half black, right half white; crop the right half's top: all white.
    const img = rgbaImage(200, 100, (x) => (x >= 100 ? [255, 255, 255] : [0, 0, 0]));
    const right = cropToGray(img, 200, 100, { x: 100, y: 0, width: 96, height: 96 });
    expect(Math.min(...right)).toBe(255);
    // Vertical gradient: first output row dark, last row bright.
    const grad = rgbaImage(48, 48, (_x, y) => [y * 5, y * 5, y * 5]);
    const g = cropToGray(grad, 48, 48, { x: 0, y: 0, width: 48, height: 48 });
    expect(g[0]).toBe(0);
    expect(g[47 * 48]).toBe(235);
  });

  it('handles non-integer scale factors without dropping weight (uniform stays uniform)', () => {
    const img = rgbaImage(101, 77, () => [10, 20, 30]);
    const out = cropToGray(img, 101, 77, { x: 3, y: 2, width: 70, height: 70 });
    expect(new Set(out)).toEqual(new Set([Math.round(luma601(10, 20, 30))]));
  });
});

describe('hasImageContent', () => {
  it('rejects the all-zero frame a not-yet-decoded video reads back as', () => {
    expect(hasImageContent(new Uint8Array(320 * 240 * 4))).toBe(false);
  });
  it('rejects a uniform frame and accepts a picture', () => {
    expect(hasImageContent(rgbaImage(64, 64, () => [128, 128, 128]))).toBe(false);
    expect(hasImageContent(rgbaImage(64, 64, (x) => [x * 4, x * 4, x * 4]))).toBe(true);
  });
});
