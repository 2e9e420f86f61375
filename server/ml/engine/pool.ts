/**
 * A worker-thread pool with micro-batching. predict() calls that arrive in the
 * same event-loop turn (many players' frames read from sockets together) are
 * queued and flushed on setImmediate as batches of ≤ maxBatch frames, each sent
 * as one contiguous buffer (transferred, not copied) to an idle worker. While all
 * workers are busy the queue grows, so batches grow with load (adaptive batching).
 * A worker that dies is replaced; only its in-flight requests are rejected.
 */
import type { Worker } from 'node:worker_threads';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { startTsWorker } from '../../util/ts-worker.ts';
import type { FromWorker, ToWorker, WorkerInit } from './pool-protocol.ts';
import { assertFrames } from './preprocess.ts';

export interface PoolLog {
  info(o: object | string, msg?: string): void;
  warn(o: object | string, msg?: string): void;
}

export interface PoolOptions {
  init: WorkerInit;
  workers: number;
  maxBatch: number;
  log?: PoolLog;
  /** Worker entry; tests may override. */
  workerUrl?: URL;
}

export interface WorkerPool {
  /** The engine name the workers report, e.g. "onnx". */
  readonly engineName: string;
  readonly size: number;
  predict(frames: Uint8Array[]): Promise<Float32Array[]>;
  /** Frames waiting + in flight (for metrics / load shedding by the caller). */
  pending(): number;
  stats(): { batches: number; frames: number };
  dispose(): Promise<void>;
}

export class WorkerDiedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerDiedError';
  }
}

interface Request {
  frames: Uint8Array[];
  results: Float32Array[];
  /** Frames not yet answered. */
  remaining: number;
  /** Next frame index not yet sent to a worker. */
  nextFrame: number;
  failed: boolean;
  resolve(v: Float32Array[]): void;
  reject(e: Error): void;
}

/** A run of one request's frames inside a batch. */
interface Segment {
  req: Request;
  /** First frame of the request in this segment. */
  offset: number;
  count: number;
  /** Where the segment starts in the batch. */
  frameInBatch: number;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  /** The batch the worker is computing (one at a time). */
  inFlight: { id: number; segments: Segment[]; frames: number } | null;
  exiting: boolean;
}

const DEFAULT_WORKER_URL = new URL('./engine-worker.ts', import.meta.url);
const noopLog: PoolLog = { info() {}, warn() {} };

export async function createWorkerPool(options: PoolOptions): Promise<WorkerPool> {
  const log = options.log ?? noopLog;
  const workerUrl = options.workerUrl ?? DEFAULT_WORKER_URL;
  const maxBatch = Math.max(1, Math.floor(options.maxBatch));
  const slots: Slot[] = [];
  const queue: Request[] = [];
  let queuedFrames = 0;
  let nextId = 1;
  let flushScheduled = false;
  let disposing = false;
  let engineName = options.init.engine as string;
  let idleWaiters: (() => void)[] = [];
  const counters = { batches: 0, frames: 0 };

  function startWorker(index: number): Promise<Slot> {
    const worker = startTsWorker(workerUrl, { workerData: options.init });
    const slot: Slot = { index, worker, ready: false, inFlight: null, exiting: false };
    return new Promise<Slot>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          slot.ready = true;
          engineName = msg.name;
          resolve(slot);
          dispatch();
        } else if (msg.type === 'init-error') {
          slot.exiting = true;
          reject(new Error(msg.message));
          void worker.terminate();
        } else {
          onResult(slot, msg);
        }
      });
      worker.on('error', (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        if (!slot.ready) reject(e);
        else log.warn({ worker: index, err: e.message }, 'inference worker error');
      });
      worker.on('exit', (code) => {
        if (!slot.ready) {
          reject(new Error(`inference worker exited with code ${code} before it was ready`));
          return;
        }
        onExit(slot, code);
      });
    });
  }

  function onResult(slot: Slot, msg: Extract<FromWorker, { type: 'result' | 'error' }>): void {
    const batch = slot.inFlight;
    if (!batch || batch.id !== msg.id) return;
    slot.inFlight = null;
    for (const seg of batch.segments) {
      const req = seg.req;
      if (req.failed) continue;
      if (msg.type === 'error') {
        req.failed = true;
        req.reject(new Error(`inference failed: ${msg.message}`));
        continue;
      }
      for (let i = 0; i < seg.count; i++) {
        const base = (seg.frameInBatch + i) * EMOTION_COUNT;
        // Views into the transferred result buffer: no copy per frame.
        req.results[seg.offset + i] = msg.probs.subarray(base, base + EMOTION_COUNT);
      }
      req.remaining -= seg.count;
      if (req.remaining === 0) req.resolve(req.results);
    }
    dispatch();
  }

  function onExit(slot: Slot, code: number): void {
    const batch = slot.inFlight;
    slot.inFlight = null;
    const pos = slots.indexOf(slot);
    if (pos >= 0) slots.splice(pos, 1);
    if (batch) {
      const err = new WorkerDiedError(
        `inference worker ${slot.index} died (exit code ${code}) while scoring ${batch.frames} frame(s); it is being replaced`,
      );
      for (const seg of batch.segments) {
        if (seg.req.failed) continue;
        seg.req.failed = true;
        seg.req.reject(err);
      }
    }
    if (disposing || slot.exiting) {
      notifyIdle();
      return;
    }
    log.warn({ worker: slot.index, code }, 'inference worker died; starting a replacement');
    respawn(slot.index, 0);
  }

  function respawn(index: number, attempt: number): void {
    startWorker(index).then(
      (s) => {
        if (disposing) {
          s.exiting = true;
          void s.worker.terminate();
          return;
        }
        slots.push(s);
        log.info({ worker: index }, 'inference worker replaced');
        dispatch();
      },
      (err: Error) => {
        log.warn({ worker: index, err: err.message, attempt }, 'replacement inference worker failed to start');
        if (slots.length === 0) failQueued(new WorkerDiedError(`no inference worker is running: ${err.message}`));
        if (!disposing) setTimeout(() => respawn(index, attempt + 1), Math.min(30_000, 500 * 2 ** attempt)).unref();
      },
    );
  }

  function failQueued(err: Error): void {
    for (const req of queue.splice(0)) {
      if (!req.failed) {
        req.failed = true;
        req.reject(err);
      }
    }
    queuedFrames = 0;
    notifyIdle();
  }

  function scheduleFlush(): void {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      dispatch();
    });
  }

  /** Sends batches to idle workers while there is work. */
  function dispatch(): void {
    while (queuedFrames > 0) {
      const slot = slots.find((s) => s.ready && !s.inFlight && !s.exiting);
      if (!slot) return;
      const segments: Segment[] = [];
      let total = 0;
      while (total < maxBatch && queue.length > 0) {
        const req = queue[0] as Request;
        if (req.failed) {
          queue.shift();
          queuedFrames -= req.frames.length - req.nextFrame;
          continue;
        }
        const take = Math.min(maxBatch - total, req.frames.length - req.nextFrame);
        segments.push({ req, offset: req.nextFrame, count: take, frameInBatch: total });
        req.nextFrame += take;
        total += take;
        if (req.nextFrame === req.frames.length) queue.shift();
      }
      queuedFrames -= total;
      if (total === 0) break;
      const pixels = new Uint8Array(total * FRAME_BYTES);
      for (const seg of segments) {
        for (let i = 0; i < seg.count; i++) {
          pixels.set(seg.req.frames[seg.offset + i] as Uint8Array, (seg.frameInBatch + i) * FRAME_BYTES);
        }
      }
      const id = nextId++;
      slot.inFlight = { id, segments, frames: total };
      counters.batches++;
      counters.frames += total;
      const msg: ToWorker = { type: 'predict', id, pixels };
      slot.worker.postMessage(msg, [pixels.buffer]);
    }
    notifyIdle();
  }

  function busy(): boolean {
    return queuedFrames > 0 || slots.some((s) => s.inFlight);
  }

  function notifyIdle(): void {
    if (busy() || idleWaiters.length === 0) return;
    const w = idleWaiters;
    idleWaiters = [];
    for (const f of w) f();
  }

  const n = Math.max(1, Math.floor(options.workers));
  const started = await Promise.allSettled(Array.from({ length: n }, (_, i) => startWorker(i)));
  const failed = started.find((r) => r.status === 'rejected');
  for (const r of started) if (r.status === 'fulfilled') slots.push(r.value);
  if (failed) {
    disposing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw new Error(`inference worker failed to start: ${(failed.reason as Error).message}`);
  }

  return {
    get engineName() {
      return engineName;
    },
    size: n,
    pending(): number {
      return queuedFrames + slots.reduce((s, w) => s + (w.inFlight?.frames ?? 0), 0);
    },
    stats: () => ({ ...counters }),
    predict(frames: Uint8Array[]): Promise<Float32Array[]> {
      if (disposing) return Promise.reject(new Error('emotion engine is disposed'));
      if (frames.length === 0) return Promise.resolve([]);
      try {
        assertFrames(frames);
      } catch (err) {
        return Promise.reject(err);
      }
      return new Promise<Float32Array[]>((resolve, reject) => {
        queue.push({
          frames,
          results: new Array(frames.length),
          remaining: frames.length,
          nextFrame: 0,
          failed: false,
          resolve,
          reject,
        });
        queuedFrames += frames.length;
        scheduleFlush();
      });
    },
    async dispose(): Promise<void> {
      if (disposing) return;
      disposing = true;
      // Finish what was accepted, then stop the workers.
      if (busy() && slots.length > 0) await new Promise<void>((r) => idleWaiters.push(r));
      failQueued(new Error('emotion engine is disposed'));
      await Promise.all(
        slots.map(async (s) => {
          s.exiting = true;
          await s.worker.terminate();
        }),
      );
      slots.length = 0;
    },
  };
}
