/**
 * The one place where frames become model input. Every engine (tfjs, ONNX, the
 * worker pool, evaluate-cli, benchmarks) goes through these functions, so the
 * server scores exactly what evaluation measured. Pure: no tfjs, no I/O.
 *
 * Model input: float32 NHWC [n, 48, 48, 1], pixel / 255 (the scaling the
 * training pipeline uses). With one channel NHWC and NCHW share one memory
 * layout, so the same buffer also feeds an ONNX model declared NCHW.
 */
import { FRAME_BYTES, FRAME_CHANNELS, FRAME_HEIGHT, FRAME_WIDTH } from '../../../shared/frame.ts';

export const INPUT_SHAPE = [FRAME_HEIGHT, FRAME_WIDTH, FRAME_CHANNELS] as const;
export const PIXEL_SCALE = 1 / 255;

/** Checks every frame is exactly 2304 bytes; throws a RangeError naming the first bad one. */
export function assertFrames(frames: readonly Uint8Array[]): void {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as Uint8Array;
    if (!(f instanceof Uint8Array) || f.byteLength !== FRAME_BYTES) {
      throw new RangeError(
        `frame ${i} must be a Uint8Array of ${FRAME_BYTES} bytes (48x48 grayscale), got ${
          f instanceof Uint8Array ? `${f.byteLength} bytes` : typeof f
        }`,
      );
    }
  }
}

/** Copies frames into one contiguous n×2304 buffer (the unit the worker pool transfers). */
export function packFrames(frames: readonly Uint8Array[], out?: Uint8Array): Uint8Array {
  assertFrames(frames);
  const dst = out ?? new Uint8Array(frames.length * FRAME_BYTES);
  if (dst.byteLength < frames.length * FRAME_BYTES) throw new RangeError('packFrames: output buffer too small');
  for (let i = 0; i < frames.length; i++) dst.set(frames[i] as Uint8Array, i * FRAME_BYTES);
  return dst;
}

/** Splits a contiguous n×2304 buffer into per-frame views (no copy). */
export function unpackFrames(packed: Uint8Array): Uint8Array[] {
  if (packed.byteLength % FRAME_BYTES !== 0) {
    throw new RangeError(`packed frames must be a multiple of ${FRAME_BYTES} bytes, got ${packed.byteLength}`);
  }
  const n = packed.byteLength / FRAME_BYTES;
  const out: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = packed.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
  return out;
}

/**
 * uint8 pixels (n×2304, contiguous) → float32 model input, /255.
 * With `flip`, each image is mirrored left–right (for flip test-time augmentation).
 * `out` lets a caller reuse one buffer across batches.
 */
export function normalizePixels(
  packed: Uint8Array,
  options: { flip?: boolean; out?: Float32Array } = {},
): Float32Array {
  if (packed.byteLength % FRAME_BYTES !== 0) {
    throw new RangeError(`pixels must be a multiple of ${FRAME_BYTES} bytes, got ${packed.byteLength}`);
  }
  const len = packed.byteLength;
  const out = options.out ?? new Float32Array(len);
  if (out.length < len) throw new RangeError('normalizePixels: output buffer too small');
  if (!options.flip) {
    for (let i = 0; i < len; i++) out[i] = (packed[i] as number) * PIXEL_SCALE;
    return out;
  }
  // One channel: a row is FRAME_WIDTH consecutive values; mirror each row.
  const w = FRAME_WIDTH * FRAME_CHANNELS;
  for (let row = 0; row < len; row += w) {
    for (let x = 0; x < FRAME_WIDTH; x++) {
      const src = row + (FRAME_WIDTH - 1 - x) * FRAME_CHANNELS;
      const dst = row + x * FRAME_CHANNELS;
      for (let c = 0; c < FRAME_CHANNELS; c++) out[dst + c] = (packed[src + c] as number) * PIXEL_SCALE;
    }
  }
  return out;
}

/** Mirrors NHWC float images left–right (for data that is already normalised). */
export function flipHorizontal(
  data: Float32Array,
  height = FRAME_HEIGHT,
  width = FRAME_WIDTH,
  channels = FRAME_CHANNELS,
): Float32Array {
  const image = height * width * channels;
  if (data.length % image !== 0) throw new RangeError(`data length ${data.length} is not a multiple of ${image}`);
  const out = new Float32Array(data.length);
  const rowLen = width * channels;
  for (let row = 0; row < data.length; row += rowLen) {
    for (let x = 0; x < width; x++) {
      const src = row + (width - 1 - x) * channels;
      const dst = row + x * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = data[src + c] as number;
    }
  }
  return out;
}

/**
 * Splits a flat n×7 probability buffer into per-frame vectors. With `second`
 * (the flipped pass), returns the element-wise mean of the two — flip TTA.
 */
export function splitProbabilities(
  probs: Float32Array,
  n: number,
  classes: number,
  second?: Float32Array,
): Float32Array[] {
  if (probs.length < n * classes) throw new RangeError(`expected ${n * classes} probabilities, got ${probs.length}`);
  if (second && second.length < n * classes) {
    throw new RangeError(`expected ${n * classes} flipped probabilities, got ${second.length}`);
  }
  const out: Float32Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(classes);
    const base = i * classes;
    if (second) {
      for (let k = 0; k < classes; k++) v[k] = 0.5 * ((probs[base + k] as number) + (second[base + k] as number));
    } else {
      v.set(probs.subarray(base, base + classes));
    }
    out[i] = v;
  }
  return out;
}
