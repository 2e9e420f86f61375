/**
 * face-api teacher predictions for every row of a FER2013 file, computed once on
 * worker threads and cached beside a run (faceapi-probs.bin: rows×7 float32 in
 * FER2013 order, plus faceapi-probs.json naming the images it belongs to). The
 * cache is keyed by a SHA-256 of the images, so a different data file recomputes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../../server/ml/runtime/backend.ts';
import { startTsWorker } from '../../server/util/ts-worker.ts';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import type { FaceApiWorkerInit, FaceApiWorkerReply } from './faceapi-worker.ts';

export const FACEAPI_PROBS_BIN = 'faceapi-probs.bin';
export const FACEAPI_PROBS_JSON = 'faceapi-probs.json';

export interface FaceApiCacheMeta {
  version: 1;
  rows: number;
  imagesSha256: string;
  model: string;
  layout: string;
}

export function imagesDigest(images: Uint8Array): string {
  return createHash('sha256').update(images).digest('hex');
}

/** The cached predictions in `dir` when they belong to exactly these images, else null. */
export function readFaceApiCache(dir: string, images: Uint8Array, rows: number): Float32Array | null {
  const metaFile = join(dir, FACEAPI_PROBS_JSON);
  const binFile = join(dir, FACEAPI_PROBS_BIN);
  if (!existsSync(metaFile) || !existsSync(binFile)) return null;
  let meta: Partial<FaceApiCacheMeta>;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Partial<FaceApiCacheMeta>;
  } catch {
    return null;
  }
  if (meta.version !== 1 || meta.rows !== rows || meta.imagesSha256 !== imagesDigest(images)) return null;
  const buf = readFileSync(binFile);
  if (buf.length !== rows * EMOTION_COUNT * 4) return null;
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

export interface ComputeOptions {
  workers: number;
  backend: BackendName;
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

/** face-api predictions (rows×7, FER2013 order) for packed 48×48 frames, split over worker threads. */
export async function computeFaceApiProbs(images: Uint8Array, rows: number, o: ComputeOptions): Promise<Float32Array> {
  const shared = new SharedArrayBuffer(rows * FRAME_BYTES);
  new Uint8Array(shared).set(images.subarray(0, rows * FRAME_BYTES));
  const parts = Math.max(1, Math.min(o.workers, rows));
  const per = Math.ceil(rows / parts);
  let done = 0;
  const out = new Float32Array(rows * EMOTION_COUNT);
  await Promise.all(
    Array.from({ length: parts }, (_, k) => {
      const start = k * per;
      const end = Math.min(rows, start + per);
      const init: FaceApiWorkerInit = { images: shared, start, end, batch: o.batch ?? 32, backend: o.backend };
      const worker = startTsWorker(new URL('./faceapi-worker.ts', import.meta.url), { workerData: init });
      return new Promise<void>((resolve, reject) => {
        worker.on('message', (m: FaceApiWorkerReply) => {
          if (m.type === 'progress') {
            done += m.done;
            o.onProgress?.(done, rows);
          } else if (m.type === 'done') {
            out.set(m.probs, start * EMOTION_COUNT);
            void worker.terminate().then(() => resolve());
          } else {
            void worker.terminate();
            reject(new Error(`face-api worker: ${m.message}`));
          }
        });
        worker.on('error', reject);
      });
    }),
  );
  return out;
}

/** Cached predictions for these images in `dir`, computing and writing them when missing or stale. */
export async function faceApiProbsCached(
  dir: string,
  images: Uint8Array,
  rows: number,
  o: ComputeOptions & { log?: (line: string) => void },
): Promise<Float32Array> {
  const cached = readFaceApiCache(dir, images, rows);
  if (cached) {
    o.log?.(`face-api teacher: cached predictions for ${rows} images in ${join(dir, FACEAPI_PROBS_BIN)}`);
    return cached;
  }
  o.log?.(`face-api teacher: computing predictions for ${rows} images on ${o.workers} worker(s) (once per data file)`);
  const t0 = Date.now();
  const probs = await computeFaceApiProbs(images, rows, o);
  const meta: FaceApiCacheMeta = {
    version: 1,
    rows,
    imagesSha256: imagesDigest(images),
    model: '@vladmandic/face-api FaceExpressionNet (face_expression_model.bin)',
    layout: 'float32 little-endian, rows×7 probabilities in FER2013 order (angry…neutral)',
  };
  const bin = join(dir, FACEAPI_PROBS_BIN);
  writeFileSync(`${bin}.tmp`, new Uint8Array(probs.buffer, probs.byteOffset, probs.byteLength));
  renameSync(`${bin}.tmp`, bin);
  writeFileSync(join(dir, FACEAPI_PROBS_JSON), `${JSON.stringify(meta, null, 2)}\n`);
  o.log?.(`face-api teacher: ${rows} images in ${((Date.now() - t0) / 1000).toFixed(0)} s, cached in ${bin}`);
  return probs;
}
