/**
 * Inference worker thread: owns one engine (ONNX session or tfjs model) and answers the
 * batches the pool writes into its frame lane (frame-lane.ts), one at a time, in order.
 * Started by pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { measureReplay } from '../../game/liveness.ts';
import { FrameLane } from './frame-lane.ts';
import { LayoutRing } from './layout-ring.ts';
import { createOnnxEngine } from './onnx-engine.ts';
import type { FromWorker, ToWorker, WorkerData } from './pool-protocol.ts';
import { createTfjsEngine } from './tfjs-engine.ts';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run in a worker thread');
const { init, lane: laneInit, ring: ringInit } = workerData as WorkerData;
const lane = new FrameLane(laneInit);
const ring = ringInit ? new LayoutRing(ringInit) : undefined;
const post = (m: FromWorker): void => port.postMessage(m);

interface PackedEngine {
  name: string;
  predictPacked(p: Uint8Array): Promise<Float32Array>;
  dispose(): Promise<void>;
}

// Test hook: lets the pool tests kill a worker mid-batch without a real crash.
const crashOnPoison = process.env.EMOTION_ENGINE_TEST_CRASH === '1';
const isPoison = (p: Uint8Array): boolean => p.byteLength === 2304 && p[0] === 13 && p[1] === 37;

let closing = false;

/** How long an idle worker blocks before it lets its event loop run (a 'close' message). */
const IDLE_SLICE_MS = 1000;

/** Answers batch after batch; blocks in Atomics.wait while there is none. */
async function serve(engine: PackedEngine): Promise<void> {
  let seq = lane.completed();
  while (!closing) {
    if (lane.submitted() === seq) {
      if (!lane.waitSubmitted(seq, IDLE_SLICE_MS)) await new Promise((r) => setImmediate(r));
      continue;
    }
    const pixels = lane.batch(seq);
    if (crashOnPoison && isPoison(pixels)) process.exit(3);
    try {
      const probs = await engine.predictPacked(pixels);
      if (ring && lane.replayWindow > 0) measureReplays(seq, pixels, ring);
      lane.complete(seq, { probs });
    } catch (err) {
      lane.complete(seq, { error: err instanceof Error ? err.message : String(err) });
    }
    seq++;
  }
}

/**
 * The replay checks that ride with batch `seq` (liveness.ts measureReplay, the same arithmetic
 * the main thread would do), answered into the lane: the main thread only reads the numbers.
 */
function measureReplays(seq: number, pixels: Uint8Array, ring: LayoutRing): void {
  const jobs = lane.replayJobs(seq, ring);
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i];
    if (!job) continue;
    const frame = pixels.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
    const m = measureReplay(frame, job.earlier, { cells: job.cells, distances: job.distances });
    lane.setReplayTextured(seq, i, m.textured);
  }
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

// The port's listener also keeps this thread's event loop alive between batches.
port.on('message', async (msg: ToWorker) => {
  if (msg.type === 'close') {
    closing = true;
    await engine?.dispose();
    port.close();
  }
});

if (engine) {
  serve(engine).catch((err: unknown) => {
    // A bug in the loop itself: die loudly, the pool fails in-flight batches and respawns.
    process.stderr.write(`inference worker loop failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(4);
  });
}
