/**
 * A worker-thread pool with micro-batching. predict() calls that arrive in the
 * same event-loop turn (many players' frames read from sockets together) are
 * queued and flushed on setImmediate as batches of ≤ maxBatch frames. Each worker
 * has a frame lane (frame-lane.ts): a SharedArrayBuffer ring of `depth` batch slots.
 * A batch's frames are copied straight into a free slot and the worker is woken with
 * Atomics.notify; its probabilities come back the same way. No message, no structured
 * clone and no buffer allocation per batch: that was the main thread's second-largest
 * cost per frame after socket writes (docs/capacity.md).
 *
 * Backpressure: a worker takes at most `depth` batches (one computing, the rest
 * written and waiting, so it never idles on a round trip through a busy event loop).
 * When every slot is taken, requests wait in the pool's queue, as before; the caller
 * bounds that queue (the game's LatestFrameQueue keeps one frame per player and
 * reports the replaced ones as stale).
 *
 * A worker that dies is replaced with a fresh lane; only its in-flight batches are
 * rejected (WorkerDiedError), answers it had already written are delivered.
 */
import type { Worker } from 'node:worker_threads';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import type { ReplayMeasure } from '../../game/liveness.ts';
import type { EarlierLayout } from '../../game/liveness-features.ts';
import { startTsWorker } from '../../util/ts-worker.ts';
import { FrameLane, type ReplayAnswers, replayMeasure } from './frame-lane.ts';
import { LayoutRing, type RingCells } from './layout-ring.ts';
import type { FromWorker, WorkerData, WorkerInit } from './pool-protocol.ts';
import { assertFrames } from './preprocess.ts';
import type { ScoredFrame } from './types.ts';

export interface PoolLog {
  info(o: object | string, msg?: string): void;
  warn(o: object | string, msg?: string): void;
}

export interface PoolOptions {
  init: WorkerInit;
  workers: number;
  maxBatch: number;
  /** Batch slots per worker (default 2: one computing, one ready). */
  depth?: number;
  /**
   * Longest window of earlier layouts a frame's replay check may carry into the workers
   * (predictWithReplay; default 0: none). A frame with a longer window is scored without it.
   */
  replayWindow?: number;
  log?: PoolLog;
  /** Worker entry; tests may override. */
  workerUrl?: URL;
}

export interface WorkerPool {
  /** The engine name the workers report, e.g. "onnx". */
  readonly engineName: string;
  readonly size: number;
  predict(frames: Uint8Array[]): Promise<Float32Array[]>;
  /** predict() with each frame's replay check measured by the worker too (EmotionEngine.predictWithReplay). */
  predictWithReplay(frames: Uint8Array[], earlier: readonly (readonly EarlierLayout[])[]): Promise<ScoredFrame[]>;
  /** Frames waiting + in flight (for metrics / load shedding by the caller). */
  pending(): number;
  stats(): { batches: number; frames: number };
  /** Shared-memory batch slots: all of them, and those holding a batch not yet answered. */
  slots(): { total: number; busy: number };
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
  /** Each frame's replay check (predictWithReplay), or none. */
  earlier: readonly (readonly EarlierLayout[])[] | undefined;
  /** The replay measures that came back, by frame. */
  measures: (ReplayMeasure | undefined)[] | undefined;
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

interface Batch {
  /** The batch's number in its lane. */
  seq: number;
  segments: Segment[];
  frames: number;
  /** The ring slot of each frame's replay layout, by frame in the batch (frames with a replay check). */
  replayCells: (RingCells | undefined)[] | undefined;
}

interface Slot {
  index: number;
  worker: Worker;
  lane: FrameLane;
  ready: boolean;
  /** Batches written to the lane and not yet delivered, oldest first. */
  inFlight: Batch[];
  /** A collect() loop is waiting on this lane. */
  collecting: boolean;
  dead: boolean;
  exiting: boolean;
}

/** Layout ring slots per worker: about 8 s of one worker's full inference rate (~1,000 frames/s). */
const RING_SLOTS_PER_WORKER = 8192;
const DEFAULT_WORKER_URL = new URL('./engine-worker.ts', import.meta.url);
const noopLog: PoolLog = { info() {}, warn() {} };

export async function createWorkerPool(options: PoolOptions): Promise<WorkerPool> {
  const log = options.log ?? noopLog;
  const workerUrl = options.workerUrl ?? DEFAULT_WORKER_URL;
  const maxBatch = Math.max(1, Math.floor(options.maxBatch));
  const depth = Math.max(1, Math.floor(options.depth ?? 2));
  const replayWindow = Math.max(0, Math.floor(options.replayWindow ?? 0));
  const workerCount = Math.max(1, Math.floor(options.workers));
  // Layouts of the replay checks, shared by all workers; sized for many seconds of frames at
  // full speed (layout-ring.ts), 4.7 MB per worker.
  const ring = replayWindow > 0 ? LayoutRing.create(RING_SLOTS_PER_WORKER * workerCount) : undefined;
  // Frames that may be handed a slot while a batch naming an earlier slot is still in a lane.
  const ringMargin = workerCount * depth * maxBatch;
  const slots: Slot[] = [];
  const queue: Request[] = [];
  let queuedFrames = 0;
  let flushScheduled = false;
  let disposing = false;
  let engineName = options.init.engine as string;
  let idleWaiters: (() => void)[] = [];
  const counters = { batches: 0, frames: 0 };

  function startWorker(index: number): Promise<Slot> {
    const lane = FrameLane.create(depth, maxBatch, replayWindow);
    const data: WorkerData = { init: options.init, lane: lane.init, ...(ring ? { ring: ring.init } : {}) };
    const worker = startTsWorker(workerUrl, { workerData: data });
    const slot: Slot = {
      index,
      worker,
      lane,
      ready: false,
      inFlight: [],
      collecting: false,
      dead: false,
      exiting: false,
    };
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
        }
      });
      worker.on('error', (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        if (!slot.ready) reject(e);
        else log.warn({ worker: index, err: e.message }, 'inference worker error');
      });
      worker.on('exit', (code) => {
        slot.dead = true;
        slot.lane.wake();
        if (!slot.ready) {
          reject(new Error(`inference worker exited with code ${code} before it was ready`));
          return;
        }
        onExit(slot, code);
      });
    });
  }

  /** Hands a finished batch's answers to its requests. */
  function deliver(batch: Batch, answer: ReturnType<FrameLane['answer']>, lane: FrameLane): void {
    let replays: ReplayAnswers | undefined;
    for (const seg of batch.segments) {
      const req = seg.req;
      if (req.failed) continue;
      if (!answer.ok) {
        req.failed = true;
        req.reject(new Error(`inference failed: ${answer.message}`));
        continue;
      }
      for (let i = 0; i < seg.count; i++) {
        const base = (seg.frameInBatch + i) * EMOTION_COUNT;
        // Views into the batch's one copy out of shared memory: no allocation per frame.
        req.results[seg.offset + i] = answer.probs.subarray(base, base + EMOTION_COUNT);
      }
      if (req.measures) {
        replays ??= lane.replayAnswers(batch.seq);
        for (let i = 0; i < seg.count; i++) {
          const cells = batch.replayCells?.[seg.frameInBatch + i];
          if (cells) req.measures[seg.offset + i] = replayMeasure(replays, seg.frameInBatch + i, cells);
        }
      }
      req.remaining -= seg.count;
      if (req.remaining === 0) req.resolve(req.results);
    }
  }

  /** Delivers the lane's answered batches, oldest first; true when any was. */
  function deliverCompleted(slot: Slot): boolean {
    const done = slot.lane.completed();
    let any = false;
    while (slot.inFlight.length > 0 && (slot.inFlight[0] as Batch).seq < done) {
      const batch = slot.inFlight.shift() as Batch;
      deliver(batch, slot.lane.answer(batch.seq), slot.lane);
      any = true;
    }
    return any;
  }

  /** While the lane has batches in flight: sleep until the worker answers one, deliver, refill. */
  async function collect(slot: Slot): Promise<void> {
    if (slot.collecting) return;
    slot.collecting = true;
    try {
      while (!slot.dead && slot.inFlight.length > 0) {
        if (deliverCompleted(slot)) {
          dispatch();
          continue;
        }
        await slot.lane.untilCompletedPast((slot.inFlight[0] as Batch).seq);
      }
    } finally {
      slot.collecting = false;
    }
    notifyIdle();
  }

  function onExit(slot: Slot, code: number): void {
    const pos = slots.indexOf(slot);
    if (pos >= 0) slots.splice(pos, 1);
    // Answers the worker wrote before it died still count; the rest fail.
    deliverCompleted(slot);
    const lost = slot.inFlight.splice(0);
    const frames = lost.reduce((n, b) => n + b.frames, 0);
    if (lost.length > 0) {
      const err = new WorkerDiedError(
        `inference worker ${slot.index} died (exit code ${code}) while scoring ${frames} frame(s); it is being replaced`,
      );
      for (const batch of lost) {
        for (const seg of batch.segments) {
          if (seg.req.failed) continue;
          seg.req.failed = true;
          seg.req.reject(err);
        }
      }
    }
    if (disposing || slot.exiting) {
      notifyIdle();
      return;
    }
    log.warn({ worker: slot.index, code }, 'inference worker died; starting a replacement');
    respawn(slot.index, 0);
    // The other workers take what is queued meanwhile.
    dispatch();
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

  /** The live lane with a free slot and the fewest batches in flight (idle workers first). */
  function freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of slots) {
      if (!s.ready || s.exiting || s.dead || s.inFlight.length >= depth) continue;
      if (!best || s.inFlight.length < best.inFlight.length) best = s;
    }
    return best;
  }

  /** Writes batches into free lane slots while there is work. */
  function dispatch(): void {
    while (queuedFrames > 0) {
      const slot = freeSlot();
      if (!slot) return;
      const seq = slot.lane.submitted();
      const dst = slot.lane.framesOf(seq);
      const segments: Segment[] = [];
      let replayCells: (RingCells | undefined)[] | undefined;
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
        for (let i = 0; i < take; i++) {
          dst.set(req.frames[req.nextFrame + i] as Uint8Array, (total + i) * FRAME_BYTES);
        }
        if (ring) {
          for (let i = 0; i < take; i++) {
            const earlier = req.earlier?.[req.nextFrame + i];
            const cells = earlier && earlier.length <= replayWindow ? ring.allocate() : undefined;
            if (cells && earlier) {
              slot.lane.writeReplay(seq, total + i, cells.uid % ring.slots, earlier, ring, ringMargin);
              replayCells ??= [];
              replayCells[total + i] = cells;
            } else slot.lane.noReplay(seq, total + i);
          }
        }
        req.nextFrame += take;
        total += take;
        if (req.nextFrame === req.frames.length) queue.shift();
      }
      queuedFrames -= total;
      if (total === 0) break;
      slot.lane.submit(total);
      slot.inFlight.push({ seq, segments, frames: total, replayCells });
      counters.batches++;
      counters.frames += total;
      void collect(slot);
    }
    notifyIdle();
  }

  function busy(): boolean {
    return queuedFrames > 0 || slots.some((s) => s.inFlight.length > 0);
  }

  function notifyIdle(): void {
    if (busy() || idleWaiters.length === 0) return;
    const w = idleWaiters;
    idleWaiters = [];
    for (const f of w) f();
  }

  function enqueue(
    frames: Uint8Array[],
    earlier: Request['earlier'],
    measures: Request['measures'],
  ): Promise<Float32Array[]> {
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
        earlier,
        measures,
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
  }

  const started = await Promise.allSettled(Array.from({ length: workerCount }, (_, i) => startWorker(i)));
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
    size: workerCount,
    pending(): number {
      return queuedFrames + slots.reduce((n, s) => n + s.inFlight.reduce((m, b) => m + b.frames, 0), 0);
    },
    slots: () => ({
      total: slots.length * depth,
      busy: slots.reduce((n, s) => n + s.inFlight.length, 0),
    }),
    stats: () => ({ ...counters }),
    predict(frames: Uint8Array[]): Promise<Float32Array[]> {
      return enqueue(frames, undefined, undefined);
    },
    predictWithReplay(frames, earlier): Promise<ScoredFrame[]> {
      if (earlier.length !== frames.length) {
        return Promise.reject(new RangeError(`${frames.length} frames but ${earlier.length} replay windows`));
      }
      const measures: (ReplayMeasure | undefined)[] = new Array(frames.length);
      return enqueue(frames, earlier, measures).then((probs) =>
        probs.map((probabilities, i) => {
          const replay = measures[i];
          return replay ? { probabilities, replay } : { probabilities };
        }),
      );
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
