/**
 * Camera-like frame sequences from one still picture: what a webcam pointed at a live face
 * sends, made the way the browser makes its crops. The face drifts (a damped random walk of
 * position and scale, a few tenths of a pixel per frame, as a head that is held still does),
 * the sensor adds fresh noise to every frame, and the light drifts slowly. Each 48×48 frame
 * is area-averaged from a 2× supersampled, bilinearly interpolated window, like the client's
 * crop. Deterministic for a seed.
 */
import { FRAME_HEIGHT, FRAME_WIDTH } from '../../shared/frame.ts';

export interface GreyImage {
  pixels: ArrayLike<number>;
  width: number;
  height: number;
}

export interface CameraLikeOptions {
  seed: number;
  /** Square window of the source holding the face (source pixels); default: the whole image, inset 8%. */
  window?: { x: number; y: number; side: number };
  /** Std of the per-frame velocity kick, in output (48 px) pixels. */
  motion?: number;
  /** Std of the sensor noise per output pixel, grey levels. */
  noise?: number;
  /** Amplitude of the slow brightness drift (fraction of the level). */
  lightDrift?: number;
}

/** Mulberry32: small, fast, seedable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): number {
  const u = Math.max(1e-12, rand());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function bilinear(img: GreyImage, x: number, y: number): number {
  const x0 = Math.max(0, Math.min(img.width - 1, Math.floor(x)));
  const y0 = Math.max(0, Math.min(img.height - 1, Math.floor(y)));
  const x1 = Math.min(img.width - 1, x0 + 1);
  const y1 = Math.min(img.height - 1, y0 + 1);
  const fx = Math.max(0, Math.min(1, x - x0));
  const fy = Math.max(0, Math.min(1, y - y0));
  const p = img.pixels;
  const w = img.width;
  const top = (p[y0 * w + x0] as number) * (1 - fx) + (p[y0 * w + x1] as number) * fx;
  const bottom = (p[y1 * w + x0] as number) * (1 - fx) + (p[y1 * w + x1] as number) * fx;
  return top * (1 - fy) + bottom * fy;
}

/** A generator of camera-like frames of `source`; call next() once per captured frame. */
export class CameraLikeStream {
  private readonly rand: () => number;
  private readonly win: { x: number; y: number; side: number };
  private readonly motion: number;
  private readonly noise: number;
  private readonly lightDrift: number;
  private pos = { x: 0, y: 0, s: 0 };
  private vel = { x: 0, y: 0, s: 0 };
  private light = 0;
  private lightVel = 0;

  constructor(
    private readonly source: GreyImage,
    opts: CameraLikeOptions,
  ) {
    this.rand = seededRandom(opts.seed);
    const inset = Math.round(Math.min(source.width, source.height) * 0.08);
    this.win = opts.window ?? {
      x: inset,
      y: inset,
      side: Math.min(source.width, source.height) - 2 * inset,
    };
    this.motion = opts.motion ?? 0.25;
    this.noise = opts.noise ?? 2;
    this.lightDrift = opts.lightDrift ?? 0.04;
  }

  next(): Uint8Array {
    const r = this.rand;
    // Damped random walk: velocity kicks, friction, and a spring back to the centre.
    this.vel.x = 0.7 * this.vel.x + this.motion * gaussian(r) - 0.05 * this.pos.x;
    this.vel.y = 0.7 * this.vel.y + this.motion * gaussian(r) - 0.05 * this.pos.y;
    this.vel.s = 0.7 * this.vel.s + 0.003 * gaussian(r) - 0.05 * this.pos.s;
    this.pos.x += this.vel.x;
    this.pos.y += this.vel.y;
    this.pos.s += this.vel.s;
    this.lightVel = 0.9 * this.lightVel + 0.004 * gaussian(r) - 0.02 * this.light;
    this.light = Math.max(-this.lightDrift, Math.min(this.lightDrift, this.light + this.lightVel));

    const out = new Uint8Array(FRAME_WIDTH * FRAME_HEIGHT);
    const px = this.win.side / FRAME_WIDTH; // source pixels per output pixel
    const scale = 1 + this.pos.s;
    const cx = this.win.x + this.win.side / 2 + this.pos.x * px;
    const cy = this.win.y + this.win.side / 2 + this.pos.y * px;
    const gain = 1 + this.light;
    for (let oy = 0; oy < FRAME_HEIGHT; oy++) {
      for (let ox = 0; ox < FRAME_WIDTH; ox++) {
        let sum = 0;
        for (const sy of [0.25, 0.75]) {
          for (const sx of [0.25, 0.75]) {
            const x = cx + (ox + sx - FRAME_WIDTH / 2) * px * scale;
            const y = cy + (oy + sy - FRAME_HEIGHT / 2) * px * scale;
            sum += bilinear(this.source, x, y);
          }
        }
        const v = (sum / 4) * gain + this.noise * gaussian(r);
        out[oy * FRAME_WIDTH + ox] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    return out;
  }
}

/** `count` camera-like frames of one picture. */
export function cameraLikeFrames(source: GreyImage, count: number, opts: CameraLikeOptions): Uint8Array[] {
  const stream = new CameraLikeStream(source, opts);
  return Array.from({ length: count }, () => stream.next());
}

/**
 * A textured 96×96 stand-in for a face photo (a few soft blobs on a gradient), for tests that
 * need live-looking frames without a data file; the model is not asked about it.
 */
export function syntheticFace(seed: number): GreyImage {
  const rand = seededRandom(seed);
  const size = 96;
  const blobs = Array.from({ length: 7 }, () => ({
    x: 20 + rand() * 56,
    y: 20 + rand() * 56,
    r: 6 + rand() * 14,
    a: (rand() - 0.5) * 160,
  }));
  const pixels = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 90 + x * 0.4 + y * 0.3;
      for (const b of blobs) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
      pixels[y * size + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { pixels, width: size, height: size };
}
