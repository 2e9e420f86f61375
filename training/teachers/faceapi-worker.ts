/** Worker thread: face-api predictions for one range of frames (started by faceapi-cache.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { type BackendName, initBackend } from '../../server/ml/runtime/backend.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { loadFaceApiNet } from './faceapi-net.ts';

export interface FaceApiWorkerInit {
  images: SharedArrayBuffer;
  start: number;
  end: number;
  batch: number;
  backend: BackendName;
}

export type FaceApiWorkerReply =
  | { type: 'progress'; done: number }
  | { type: 'done'; probs: Float32Array }
  | { type: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('faceapi-worker.ts must run in a worker thread');
const init = workerData as FaceApiWorkerInit;
try {
  await initBackend({ force: init.backend });
  const net = await loadFaceApiNet();
  const images = new Uint8Array(init.images);
  const out = new Float32Array((init.end - init.start) * 7);
  for (let s = init.start; s < init.end; s += init.batch) {
    const e = Math.min(init.end, s + init.batch);
    const p = net.predict(images.subarray(s * FRAME_BYTES, e * FRAME_BYTES), e - s);
    out.set(p, (s - init.start) * 7);
    port.postMessage({ type: 'progress', done: e - s } satisfies FaceApiWorkerReply);
  }
  port.postMessage({ type: 'done', probs: out } satisfies FaceApiWorkerReply, [out.buffer]);
} catch (err) {
  port.postMessage({
    type: 'error',
    message: err instanceof Error ? err.message : String(err),
  } satisfies FaceApiWorkerReply);
}
