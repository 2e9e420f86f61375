/**
 * RGBA → 48×48 grayscale frame. BT.601 luma (the weights FER2013-era tools used to make
 * grey images), area-averaged downscale so a 200 px face does not alias into noise.
 * Pure: works on any RGBA byte array (ImageData.data in the browser, a Buffer in tests).
 */
import { FRAME_HEIGHT, FRAME_WIDTH } from '../../../shared/frame.ts';
import type { Box } from './crop-geometry.ts';

/** ITU-R BT.601 luma weights. */
export const BT601 = { r: 0.299, g: 0.587, b: 0.114 } as const;

export function luma601(r: number, g: number, b: number): number {
  return BT601.r * r + BT601.g * g + BT601.b * b;
}

/**
 * Downscales `crop` of an RGBA image (rowStride = width × 4) to outW×outH grey bytes.
 * Each output pixel is the area-weighted mean of the source pixels it covers, so the
 * result does not depend on where a sample point happens to land.
 */
export function cropToGray(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  crop: Box,
  outW: number = FRAME_WIDTH,
  outH: number = FRAME_HEIGHT,
): Uint8Array {
  if (rgba.length < width * height * 4) throw new RangeError('rgba buffer is smaller than width × height × 4');
  const out = new Uint8Array(outW * outH);
  const x0 = Math.max(0, crop.x);
  const y0 = Math.max(0, crop.y);
  const x1 = Math.min(width, crop.x + crop.width);
  const y1 = Math.min(height, crop.y + crop.height);
  const cw = x1 - x0;
  const ch = y1 - y0;
  if (cw <= 0 || ch <= 0) return out;
  const sx = cw / outW;
  const sy = ch / outH;
  for (let oy = 0; oy < outH; oy++) {
    const fy0 = y0 + oy * sy;
    const fy1 = fy0 + sy;
    for (let ox = 0; ox < outW; ox++) {
      const fx0 = x0 + ox * sx;
      const fx1 = fx0 + sx;
      let sum = 0;
      let weight = 0;
      for (let y = Math.floor(fy0); y < Math.ceil(fy1) && y < y1; y++) {
        const wy = Math.min(fy1, y + 1) - Math.max(fy0, y);
        if (wy <= 0) continue;
        const row = y * width * 4;
        for (let x = Math.floor(fx0); x < Math.ceil(fx1) && x < x1; x++) {
          const wx = Math.min(fx1, x + 1) - Math.max(fx0, x);
          if (wx <= 0) continue;
          const i = row + x * 4;
          const w = wx * wy;
          sum += w * luma601(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!);
          weight += w;
        }
      }
      out[oy * outW + ox] = weight > 0 ? Math.min(255, Math.max(0, Math.round(sum / weight))) : 0;
    }
  }
  return out;
}

/**
 * True when the pixels hold a picture: a video drawn to a canvas before its first decoded frame
 * reads back as all zeros (seen with the fake camera on the wasm backend), and detecting on
 * that silently finds nothing. Samples a sparse grid to stay cheap.
 */
export function hasImageContent(rgba: ArrayLike<number>, samples = 256): boolean {
  const pixels = Math.floor(rgba.length / 4);
  if (pixels === 0) return false;
  const step = Math.max(1, Math.floor(pixels / samples));
  let min = 255;
  let max = 0;
  for (let p = 0; p < pixels; p += step) {
    const i = p * 4;
    const v = luma601(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // A black or uniform frame (camera warming up, lens covered) has no usable content.
  return max > 8 && max - min > 4;
}
