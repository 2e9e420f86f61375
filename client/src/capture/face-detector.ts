/**
 * face-api (TinyFaceDetector) on a tfjs backend chosen by measurement. Uses the no-bundle
 * ESM build so face-api and our code share the one @tensorflow/tfjs 4.22 instance (both
 * import @tensorflow/tfjs/dist/index.js, so backends set here are the ones face-api runs on).
 * Detection input is always pixels we have already read and checked (ImageData → tensor),
 * never the <video> element: on wasm, tfjs reading a video that has not decoded a frame
 * yet yields an all-zero image and silently finds no face.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as faceapi from '@vladmandic/face-api/dist/face-api.esm-nobundle.js';
import { FACE_MODELS_URL, TFJS_WASM_URL } from '../config.ts';
import {
  type BackendTrial,
  backendsToTry,
  chooseBackend,
  type DetectorBackend,
  type GpuInfo,
} from './backend-choice.ts';
import type { Box } from './crop-geometry.ts';
import { probeGpu } from './gpu-probe.ts';

export interface DetectorInfo {
  backend: DetectorBackend;
  trials: BackendTrial[];
  gpu: GpuInfo;
}

export class FaceDetector {
  private options: faceapi.TinyFaceDetectorOptions;
  private info: DetectorInfo | null = null;

  constructor(inputSize: number) {
    this.options = new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: 0.4 });
  }

  get backend(): DetectorBackend | null {
    return this.info?.backend ?? null;
  }

  get details(): DetectorInfo | null {
    return this.info;
  }

  /**
   * Loads the model and picks the backend: each candidate runs a few warm detections on a
   * 320×240 test image and the fastest wins (webgl only with a hardware GPU).
   */
  async init(forced: DetectorBackend | null): Promise<DetectorInfo> {
    // Served by our own server (no CDN). Non-threaded SIMD is used: threads would need
    // cross-origin isolation headers, and the detector is small.
    setWasmPaths(TFJS_WASM_URL);
    const gpu = probeGpu();
    const candidates = forced ? [forced] : backendsToTry(gpu);
    const trials: BackendTrial[] = [];
    let modelLoaded = false;
    const sample = testImage();
    for (const backend of candidates) {
      try {
        if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
        await tf.ready();
        if (!modelLoaded) {
          await faceapi.nets.tinyFaceDetector.loadFromUri(FACE_MODELS_URL);
          modelLoaded = true;
        }
        await this.detectImageData(sample); // warm-up: shader compilation / wasm JIT
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          await this.detectImageData(sample);
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        trials.push({ backend, ok: true, msPerDetection: times[1]! });
      } catch (err) {
        console.warn(`[arena] backend ${backend} failed`, err);
        trials.push({ backend, ok: false, msPerDetection: Number.POSITIVE_INFINITY });
      }
    }
    const backend = forced && trials[0]?.ok ? forced : chooseBackend(trials, gpu);
    if (tf.getBackend() !== backend) {
      await tf.setBackend(backend);
      await tf.ready();
      if (!modelLoaded) await faceapi.nets.tinyFaceDetector.loadFromUri(FACE_MODELS_URL);
    }
    this.info = { backend, trials, gpu };
    return this.info;
  }

  /** Faces in the image, in its pixel coordinates. */
  async detectImageData(image: ImageData): Promise<Box[]> {
    // face-api declares its own copy of the tf types; at run time this is the same tfjs instance.
    const input = tf.browser.fromPixels(image);
    try {
      const found = await faceapi.detectAllFaces(input as unknown as faceapi.TNetInput, this.options);
      return found.map((d) => ({ x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height }));
    } finally {
      input.dispose();
    }
  }
}

/** A 320×240 image with some structure, for timing only (detection cost does not depend on content). */
function testImage(): ImageData {
  const w = 320;
  const h = 240;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const v = ((i % w) ^ Math.floor(i / w)) & 255;
    data[i * 4] = v;
    data[i * 4 + 1] = v;
    data[i * 4 + 2] = v;
    data[i * 4 + 3] = 255;
  }
  return new ImageData(data, w, h);
}
