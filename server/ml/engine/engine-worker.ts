/**
 * Inference worker thread: owns one engine (ONNX session or tfjs model) and
 * answers predict messages one at a time. Started by pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createOnnxEngine } from './onnx-engine.ts';
import type { FromWorker, ToWorker, WorkerInit } from './pool-protocol.ts';
import { createTfjsEngine } from './tfjs-engine.ts';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

interface PackedEngine {
  name: string;
  predictPacked(p: Uint8Array): Promise<Float32Array>;
  dispose(): Promise<void>;
}

let engine: PackedEngine | null = null;
try {
  engine =
    init.engine === 'onnx'
      ? await createOnnxEngine({
          modelDir: init.modelDir,
          tta: init.tta,
          intraOpThreads: init.intraOpThreads,
          ...(init.onnxFile ? { file: init.onnxFile } : {}),
        })
      : await createTfjsEngine({
          modelDir: init.modelDir,
          tta: init.tta,
          ...(init.backend ? { backend: init.backend } : {}),
        });
  post({ type: 'ready', name: engine.name });
} catch (err) {
  // No process.exit here: it could drop this message. The pool terminates us.
  post({ type: 'init-error', message: err instanceof Error ? err.message : String(err) });
}

// Test hook: lets the pool tests kill a worker mid-request without a real crash.
const crashOnEmptyBatch = process.env.EMOTION_ENGINE_TEST_CRASH === '1';

port.on('message', async (msg: ToWorker) => {
  if (!engine) return;
  if (msg.type === 'close') {
    await engine.dispose();
    port.close();
    return;
  }
  if (crashOnEmptyBatch && msg.pixels.byteLength === 2304 && msg.pixels[0] === 13 && msg.pixels[1] === 37) {
    process.exit(3);
  }
  try {
    const probs = await engine.predictPacked(msg.pixels);
    post({ type: 'result', id: msg.id, probs }, [probs.buffer as ArrayBuffer]);
  } catch (err) {
    post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
  }
});
