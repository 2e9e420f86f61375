/**
 * The model's input contract, in one place for training, evaluation and serving:
 * 48×48×1 float32, pixel / 255 (the seed paper's normalisation).
 */
import { FRAME_BYTES } from '../../../shared/frame.ts';

export const INPUT_SCALE = 1 / 255;

/** Writes frames (2304 uint8 each) into `out` (n×2304 float32), optionally mirrored left-right. */
export function normalizeFrames(frames: readonly Uint8Array[], out: Float32Array, flip = false): Float32Array {
  for (let i = 0; i < frames.length; i++) {
    normalizeInto(frames[i] as Uint8Array, 0, out, i * FRAME_BYTES, flip);
  }
  return out;
}

export function normalizeInto(src: Uint8Array, srcOff: number, out: Float32Array, outOff: number, flip = false): void {
  if (!flip) {
    for (let p = 0; p < FRAME_BYTES; p++) out[outOff + p] = (src[srcOff + p] as number) * INPUT_SCALE;
    return;
  }
  for (let y = 0; y < 48; y++) {
    const row = y * 48;
    for (let x = 0; x < 48; x++) out[outOff + row + x] = (src[srcOff + row + 47 - x] as number) * INPUT_SCALE;
  }
}
