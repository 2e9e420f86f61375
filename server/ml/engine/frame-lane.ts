/**
 * A frame lane: the shared memory between the pool (main thread) and one inference
 * worker. It replaces one structured-clone postMessage each way per batch (plus an
 * ArrayBuffer allocated, transferred and detached per batch) with plain copies into
 * a SharedArrayBuffer and two counters:
 *
 *   SUBMITTED  batches the main thread has written (it bumps it, then Atomics.notify)
 *   COMPLETED  batches the worker has answered     (it bumps it, then Atomics.notify)
 *
 * Batch number `seq` lives in slot `seq % depth`; a lane is a single-producer,
 * single-consumer ring of `depth` slots, so while the worker computes one batch the
 * main thread can already have written the next (the worker never waits for a round
 * trip through a busy event loop). The main thread sleeps in Atomics.waitAsync (its event
 * loop stays free); an idle worker blocks in Atomics.wait. Each slot holds up to maxBatch frames in, maxBatch
 * probability vectors out, and room for an error message.
 *
 * Why not a library: nothing on npm does a typed SPSC ring of fixed-size records for
 * worker_threads with async waits; the pieces (SharedArrayBuffer, Atomics) are the API.
 */
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';

/** Words of ctrl. */
const SUBMITTED = 0;
const COMPLETED = 1;
/** 1 while the worker is (about to be) blocked waiting for SUBMITTED. */
const WORKER_WAITING = 2;
const CTRL_WORDS = 4;

/** Words of a slot's header. */
const H_COUNT = 0;
const H_STATUS = 1;
const H_ERROR_BYTES = 2;
const HEADER_WORDS = 4;

export const SLOT_OK = 1;
export const SLOT_FAILED = 2;

/** Longest error message a slot carries (UTF-8 bytes; longer ones are cut). */
export const ERROR_BYTES = 512;

/** What a worker needs to open its lane (sent in workerData; a SharedArrayBuffer is shared, not copied). */
export interface LaneInit {
  buffer: SharedArrayBuffer;
  depth: number;
  maxBatch: number;
}

type WaitResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
// ES2024's Atomics.waitAsync (V8 has had it since Node 16); lib ES2023 does not declare it.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): WaitResult }).waitAsync;

function layout(depth: number, maxBatch: number) {
  const ctrlBytes = CTRL_WORDS * 4;
  const headerBytes = depth * HEADER_WORDS * 4;
  const outBytes = depth * maxBatch * EMOTION_COUNT * 4;
  const inBytes = depth * maxBatch * FRAME_BYTES;
  const errBytes = depth * ERROR_BYTES;
  // Int32 and Float32 regions first, so every view is 4-byte aligned.
  const headerAt = ctrlBytes;
  const outAt = headerAt + headerBytes;
  const inAt = outAt + outBytes;
  const errAt = inAt + inBytes;
  return { headerAt, outAt, inAt, errAt, total: errAt + errBytes };
}

export class FrameLane {
  readonly depth: number;
  readonly maxBatch: number;
  private readonly ctrl: Int32Array;
  private readonly headers: Int32Array;
  private readonly out: Float32Array;
  private readonly input: Uint8Array;
  private readonly errors: Buffer;

  /** A new lane (main thread). */
  static create(depth: number, maxBatch: number): FrameLane {
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`lane depth must be ≥ 1, got ${depth}`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`lane maxBatch must be ≥ 1, got ${maxBatch}`);
    return new FrameLane({ buffer: new SharedArrayBuffer(layout(depth, maxBatch).total), depth, maxBatch });
  }

  constructor(readonly init: LaneInit) {
    this.depth = init.depth;
    this.maxBatch = init.maxBatch;
    const l = layout(init.depth, init.maxBatch);
    if (init.buffer.byteLength !== l.total) throw new RangeError('lane buffer does not match its depth and maxBatch');
    this.ctrl = new Int32Array(init.buffer, 0, CTRL_WORDS);
    this.headers = new Int32Array(init.buffer, l.headerAt, init.depth * HEADER_WORDS);
    this.out = new Float32Array(init.buffer, l.outAt, init.depth * init.maxBatch * EMOTION_COUNT);
    this.input = new Uint8Array(init.buffer, l.inAt, init.depth * init.maxBatch * FRAME_BYTES);
    this.errors = Buffer.from(init.buffer, l.errAt, init.depth * ERROR_BYTES);
  }

  submitted(): number {
    return Atomics.load(this.ctrl, SUBMITTED);
  }

  completed(): number {
    return Atomics.load(this.ctrl, COMPLETED);
  }

  /** Batches written and not yet answered. */
  inFlight(): number {
    return this.submitted() - this.completed();
  }

  // ---- main thread -------------------------------------------------------------------

  /** The frames area of batch `seq`'s slot, to fill before submit(). */
  framesOf(seq: number): Uint8Array {
    const base = (seq % this.depth) * this.maxBatch * FRAME_BYTES;
    return this.input.subarray(base, base + this.maxBatch * FRAME_BYTES);
  }

  /** Publishes the next batch (`count` frames already written to framesOf(submitted())) and wakes the worker. */
  submit(count: number): number {
    const seq = this.submitted();
    if (seq - this.completed() >= this.depth) throw new Error('frame lane is full');
    if (count < 1 || count > this.maxBatch)
      throw new RangeError(`batch of ${count} frames, lane takes 1..${this.maxBatch}`);
    const h = (seq % this.depth) * HEADER_WORDS;
    Atomics.store(this.headers, h + H_COUNT, count);
    Atomics.store(this.headers, h + H_STATUS, 0);
    // The store to SUBMITTED publishes the frames and header written before it.
    Atomics.store(this.ctrl, SUBMITTED, seq + 1);
    // A busy worker looks at SUBMITTED again before it waits: no wake-up (a futex syscall)
    // needed. Safe with sequentially consistent atomics: either this load sees the worker's
    // WORKER_WAITING = 1, or the worker's wait, which compares SUBMITTED after setting it,
    // sees seq + 1 and does not block.
    if (Atomics.load(this.ctrl, WORKER_WAITING) === 1) Atomics.notify(this.ctrl, SUBMITTED);
    return seq;
  }

  /** Batch `seq`'s answer (call only once completed() > seq): a copy of its probabilities, or its error. */
  answer(seq: number): { ok: true; probs: Float32Array } | { ok: false; message: string } {
    const slot = seq % this.depth;
    const h = slot * HEADER_WORDS;
    if (Atomics.load(this.headers, h + H_STATUS) === SLOT_FAILED) {
      const n = Atomics.load(this.headers, h + H_ERROR_BYTES);
      return { ok: false, message: this.errors.toString('utf8', slot * ERROR_BYTES, slot * ERROR_BYTES + n) };
    }
    const count = Atomics.load(this.headers, h + H_COUNT);
    const base = slot * this.maxBatch * EMOTION_COUNT;
    // A copy: the slot is reused by the next batch but one.
    return { ok: true, probs: this.out.slice(base, base + count * EMOTION_COUNT) };
  }

  /**
   * Resolves once COMPLETED differs from `seen` (at once if it already does). Never
   * resolves for a worker that died; wake() releases such a wait.
   */
  async untilCompletedPast(seen: number): Promise<void> {
    const r = waitAsync(this.ctrl, COMPLETED, seen);
    if (r.async) await r.value;
  }

  /** Releases a main-thread wait on this lane (the worker is gone). */
  wake(): void {
    Atomics.notify(this.ctrl, COMPLETED);
  }

  // ---- worker ------------------------------------------------------------------------

  /**
   * Blocks this (worker) thread until SUBMITTED differs from `seen` or `timeoutMs` passes;
   * true when it differs. A blocking wait, not Atomics.waitAsync: waking a thread blocked
   * in Atomics.wait is a futex wake for the main thread, while waking an async waiter
   * posts a task to the worker's event loop, which costs the main thread ~40 % more CPU per
   * batch (bench-handoff micro-benchmark in docs/capacity.md).
   */
  waitSubmitted(seen: number, timeoutMs: number): boolean {
    Atomics.store(this.ctrl, WORKER_WAITING, 1);
    const r = Atomics.wait(this.ctrl, SUBMITTED, seen, timeoutMs);
    Atomics.store(this.ctrl, WORKER_WAITING, 0);
    return r !== 'timed-out';
  }

  /** Batch `seq`'s frames, packed (a view into shared memory: read it before complete()). */
  batch(seq: number): Uint8Array {
    const count = Atomics.load(this.headers, (seq % this.depth) * HEADER_WORDS + H_COUNT);
    return this.framesOf(seq).subarray(0, count * FRAME_BYTES);
  }

  /** Answers batch `seq` and wakes the main thread. */
  complete(seq: number, result: { probs: Float32Array } | { error: string }): void {
    const slot = seq % this.depth;
    const h = slot * HEADER_WORDS;
    if ('probs' in result) {
      const count = Atomics.load(this.headers, h + H_COUNT);
      if (result.probs.length !== count * EMOTION_COUNT) {
        result = { error: `engine returned ${result.probs.length / EMOTION_COUNT} outputs for ${count} frames` };
      } else {
        this.out.set(result.probs, slot * this.maxBatch * EMOTION_COUNT);
        Atomics.store(this.headers, h + H_STATUS, SLOT_OK);
      }
    }
    if ('error' in result) {
      const msg = Buffer.from(result.error, 'utf8');
      // Cut on a whole character: UTF-8 continuation bytes are 10xxxxxx.
      let n = Math.min(msg.length, ERROR_BYTES);
      while (n < msg.length && n > 0 && ((msg[n] as number) & 0xc0) === 0x80) n--;
      msg.copy(this.errors, slot * ERROR_BYTES, 0, n);
      Atomics.store(this.headers, h + H_ERROR_BYTES, n);
      Atomics.store(this.headers, h + H_STATUS, SLOT_FAILED);
    }
    Atomics.store(this.ctrl, COMPLETED, seq + 1);
    Atomics.notify(this.ctrl, COMPLETED);
  }
}
