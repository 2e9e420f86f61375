/**
 * Training-time augmentation, pure and seeded: a random affine warp (rotation, scale,
 * shift, horizontal flip) with bilinear sampling and edge clamping, then contrast and
 * brightness jitter. Output is normalised model input (the scaling of engine/preprocess.ts).
 */

import { PIXEL_SCALE } from '../../server/ml/engine/preprocess.ts';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../../shared/frame.ts';
import type { Rng } from '../data/rng.ts';

export interface AugmentConfig {
  maxRotationDeg: number;
  maxScale: number;
  maxShift: number;
  flip: boolean;
  maxContrast: number;
  maxBrightness: number;
}

/** The reference recipe: ±10° rotation, ±10% scale, ±10% shift, flip, ±20% contrast, ±0.1 brightness. */
export const DEFAULT_AUGMENT: AugmentConfig = {
  maxRotationDeg: 10,
  maxScale: 0.1,
  maxShift: 0.1,
  flip: true,
  maxContrast: 0.2,
  maxBrightness: 0.1,
};

const W = FRAME_WIDTH;
const H = FRAME_HEIGHT;

export function augmentInto(
  src: Uint8Array,
  srcOff: number,
  out: Float32Array,
  outOff: number,
  rng: Rng,
  cfg: AugmentConfig = DEFAULT_AUGMENT,
): void {
  const u = () => rng.next() * 2 - 1;
  const angle = (u() * cfg.maxRotationDeg * Math.PI) / 180;
  const scale = 1 + u() * cfg.maxScale;
  const tx = u() * cfg.maxShift * W;
  const ty = u() * cfg.maxShift * H;
  const flip = cfg.flip && rng.next() < 0.5;
  const contrast = 1 + u() * cfg.maxContrast;
  const brightness = u() * cfg.maxBrightness;

  // Inverse map: for each output pixel find its source position.
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  let sum = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const ox = (flip ? W - 1 - x : x) - cx - tx;
      const oy = y - cy - ty;
      let sx = cos * ox + sin * oy + cx;
      let sy = -sin * ox + cos * oy + cy;
      sx = sx < 0 ? 0 : Math.min(sx, W - 1);
      sy = sy < 0 ? 0 : Math.min(sy, H - 1);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = x0 < W - 1 ? x0 + 1 : x0;
      const y1 = y0 < H - 1 ? y0 + 1 : y0;
      const fx = sx - x0;
      const fy = sy - y0;
      const r0 = srcOff + y0 * W;
      const r1 = srcOff + y1 * W;
      const top = (src[r0 + x0] as number) * (1 - fx) + (src[r0 + x1] as number) * fx;
      const bot = (src[r1 + x0] as number) * (1 - fx) + (src[r1 + x1] as number) * fx;
      const v = (top * (1 - fy) + bot * fy) * PIXEL_SCALE;
      out[outOff + y * W + x] = v;
      sum += v;
    }
  }
  const mean = sum / (W * H);
  for (let p = 0; p < W * H; p++) {
    const v = ((out[outOff + p] as number) - mean) * contrast + mean + brightness;
    out[outOff + p] = v < 0 ? 0 : Math.min(v, 1);
  }
}
