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
 * probability vectors out, and room for an error message. A lane made with a replay window
 * also carries each frame's replay check (server/game/liveness.ts): the ring slots of the
 * earlier layouts to compare with (layout-ring.ts; layouts not in the ring are copied in), the
 * slot for the frame's own layout, and back the distances and whether the frame was textured.
 *
 * Why not a library: nothing on npm does a typed SPSC ring of fixed-size records for
 * worker_threads with async waits; the pieces (SharedArrayBuffer, Atomics) are the API.
 */
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import type { ReplayMeasure } from '../../game/liveness.ts';
import { type EarlierLayout, LAYOUT_GRID } from '../../game/liveness-features.ts';
import type { LayoutRing } from './layout-ring.ts';

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
  /**
   * Earlier layouts a frame's replay check may carry (0: the lane carries no replay checks).
   * With it, each frame may come with the layouts of its player's window and go back with its
   * own layout cells and its distance to each (server/game/liveness.ts measureReplay).
   */
  replayWindow?: number;
}

/**
 * Replay words per frame: earlier count (-1: no check), textured (written by the worker), the
 * ring slot for the frame's own cells, then two words per earlier layout: where it is (a ring
 * slot ≥ 0, IN_LANE: copied into this lane, GONE: overwritten in the ring) and its textured flag.
 */
const R_COUNT = 0;
const R_TEXTURED = 1;
const R_OUT = 2;
const R_EARLIER = 3;
const IN_LANE = -1;
const GONE = -2;

function replayWords(window: number): number {
  return R_EARLIER + 2 * window;
}

/** The worker's view of one frame's replay check: what to compare with, where to put the answer. */
export interface ReplayJob {
  earlier: EarlierLayout[];
  cells: Float32Array;
  distances: Float64Array;
}

/** One batch's replay answers, copied out of shared memory: frame i's at i × (words per frame), i × window. */
export interface ReplayAnswers {
  window: number;
  words: Int32Array;
  distances: Float64Array;
}

/**
 * Stands in for an earlier layout the ring has already overwritten (possible only far beyond
 * the node's capacity): NaN distances, which never count as a copy.
 */
const GONE_LAYOUT: EarlierLayout = {
  cells: new Float32Array(LAYOUT_GRID * LAYOUT_GRID).fill(Number.NaN),
  textured: true,
};

type WaitResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
// ES2024's Atomics.waitAsync (V8 has had it since Node 16); lib ES2023 does not declare it.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): WaitResult }).waitAsync;

function layout(depth: number, maxBatch: number, window: number) {
  const frames = depth * maxBatch;
  // Float64 first (8-byte aligned at 0 of its region), then Int32 and Float32, then bytes.
  const ctrlBytes = CTRL_WORDS * 4;
  const distAt = 0;
  const distBytes = frames * window * 8;
  const ctrlAt = distAt + distBytes;
  const headerAt = ctrlAt + ctrlBytes;
  const headerBytes = depth * HEADER_WORDS * 4;
  const replayWordsAt = headerAt + headerBytes;
  const replayWordsBytes = window > 0 ? frames * replayWords(window) * 4 : 0;
  const earlierAt = replayWordsAt + replayWordsBytes;
  const earlierBytes = frames * window * LAYOUT_CELLS * 4;
  const outAt = earlierAt + earlierBytes;
  const outBytes = frames * EMOTION_COUNT * 4;
  const inAt = outAt + outBytes;
  const inBytes = frames * FRAME_BYTES;
  const errAt = inAt + inBytes;
  const errBytes = depth * ERROR_BYTES;
  return { distAt, ctrlAt, headerAt, replayWordsAt, earlierAt, outAt, inAt, errAt, total: errAt + errBytes };
}

const LAYOUT_CELLS = LAYOUT_GRID * LAYOUT_GRID;

export class FrameLane {
  readonly depth: number;
  readonly maxBatch: number;
  private readonly ctrl: Int32Array;
  private readonly headers: Int32Array;
  private readonly out: Float32Array;
  private readonly input: Uint8Array;
  private readonly errors: Buffer;
  /** Earlier layouts a frame's replay check may carry; 0 when the lane carries none. */
  readonly replayWindow: number;
  private readonly replayWords: Int32Array;
  private readonly earlierCells: Float32Array;
  private readonly replayDistances: Float64Array;

  /** A new lane (main thread). */
  static create(depth: number, maxBatch: number, replayWindow = 0): FrameLane {
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`lane depth must be ≥ 1, got ${depth}`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`lane maxBatch must be ≥ 1, got ${maxBatch}`);
    if (!Number.isInteger(replayWindow) || replayWindow < 0) {
      throw new RangeError(`lane replayWindow must be ≥ 0, got ${replayWindow}`);
    }
    const buffer = new SharedArrayBuffer(layout(depth, maxBatch, replayWindow).total);
    return new FrameLane({ buffer, depth, maxBatch, replayWindow });
  }

  constructor(readonly init: LaneInit) {
    this.depth = init.depth;
    this.maxBatch = init.maxBatch;
    const w = init.replayWindow ?? 0;
    this.replayWindow = w;
    const l = layout(init.depth, init.maxBatch, w);
    if (init.buffer.byteLength !== l.total) throw new RangeError('lane buffer does not match its depth and maxBatch');
    const frames = init.depth * init.maxBatch;
    this.replayDistances = new Float64Array(init.buffer, l.distAt, frames * w);
    this.replayWords = new Int32Array(init.buffer, l.replayWordsAt, w > 0 ? frames * replayWords(w) : 0);
    this.earlierCells = new Float32Array(init.buffer, l.earlierAt, frames * w * LAYOUT_CELLS);
    this.ctrl = new Int32Array(init.buffer, l.ctrlAt, CTRL_WORDS);
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

  /**
   * Frame `i` of batch `seq` comes with a replay check against `earlier` (written before
   * submit()): the worker writes the frame's cells into ring slot `out`. An earlier layout that
   * is a live view of `ring` is named by its slot; any other is copied into the lane. False
   * when the lane cannot carry the check (no replay area, or a longer window): the frame then
   * goes without one. Every frame written to a lane with a replay area gets this or noReplay().
   */
  writeReplay(
    seq: number,
    i: number,
    out: number,
    earlier: readonly EarlierLayout[],
    ring: LayoutRing,
    margin: number,
  ): boolean {
    const w = this.replayWindow;
    if (w === 0 || earlier.length > w) {
      this.noReplay(seq, i);
      return false;
    }
    const f = (seq % this.depth) * this.maxBatch + i;
    const words = f * replayWords(w);
    const r = this.replayWords;
    r[words + R_COUNT] = earlier.length;
    r[words + R_OUT] = out;
    for (let k = 0; k < earlier.length; k++) {
      const e = earlier[k] as EarlierLayout;
      let where = ring.slotOf(e.cells, margin);
      if (where < 0) {
        if (ring.overwritten(e.cells, margin)) where = GONE;
        else {
          where = IN_LANE;
          this.earlierCells.set(e.cells, (f * w + k) * LAYOUT_CELLS);
        }
      }
      r[words + R_EARLIER + 2 * k] = where;
      r[words + R_EARLIER + 2 * k + 1] = e.textured ? 1 : 0;
    }
    return true;
  }

  /** Frame `i` of batch `seq` has no replay check. */
  noReplay(seq: number, i: number): void {
    const w = this.replayWindow;
    if (w > 0) this.replayWords[((seq % this.depth) * this.maxBatch + i) * replayWords(w) + R_COUNT] = -1;
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

  /**
   * Batch `seq`'s replay answers (call only once completed() > seq, and only on a lane with a
   * replay area): copies, like answer()'s. The cells are in the ring slots named at writeReplay.
   */
  replayAnswers(seq: number): ReplayAnswers {
    const w = this.replayWindow;
    const count = Atomics.load(this.headers, (seq % this.depth) * HEADER_WORDS + H_COUNT);
    const f = (seq % this.depth) * this.maxBatch;
    return {
      window: w,
      words: this.replayWords.slice(f * replayWords(w), (f + count) * replayWords(w)),
      distances: this.replayDistances.slice(f * w, (f + count) * w),
    };
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

  /**
   * The replay checks of batch `seq` (a worker reads them before complete()): job i for frame
   * i, or undefined when frame i has none. Views into shared memory (this lane and `ring`);
   * `textured` of each answer goes back through setReplayTextured.
   */
  replayJobs(seq: number, ring: LayoutRing): (ReplayJob | undefined)[] {
    const w = this.replayWindow;
    const count = Atomics.load(this.headers, (seq % this.depth) * HEADER_WORDS + H_COUNT);
    const jobs: (ReplayJob | undefined)[] = new Array(count);
    const r = this.replayWords;
    for (let i = 0; i < count; i++) {
      const f = (seq % this.depth) * this.maxBatch + i;
      const words = f * replayWords(w);
      const n = w > 0 ? (r[words + R_COUNT] as number) : -1;
      if (n < 0) continue;
      const earlier: EarlierLayout[] = new Array(n);
      for (let k = 0; k < n; k++) {
        const where = r[words + R_EARLIER + 2 * k] as number;
        const textured = r[words + R_EARLIER + 2 * k + 1] === 1;
        if (where >= 0) earlier[k] = { cells: ring.cells(where), textured };
        else if (where === IN_LANE) {
          const at = (f * w + k) * LAYOUT_CELLS;
          earlier[k] = { cells: this.earlierCells.subarray(at, at + LAYOUT_CELLS), textured };
        } else earlier[k] = GONE_LAYOUT;
      }
      jobs[i] = {
        earlier,
        cells: ring.cells(r[words + R_OUT] as number),
        distances: this.replayDistances.subarray(f * w, f * w + w),
      };
    }
    return jobs;
  }

  /** Frame i of batch `seq`: whether its layout was textured (worker, before complete()). */
  setReplayTextured(seq: number, i: number, textured: boolean): void {
    const f = (seq % this.depth) * this.maxBatch + i;
    this.replayWords[f * replayWords(this.replayWindow) + R_TEXTURED] = textured ? 1 : 0;
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

/**
 * Frame `i`'s replay measure in a batch's answers, its cells being `cells` (the ring slot the
 * pool gave it), or none when it had no check.
 */
export function replayMeasure(r: ReplayAnswers, i: number, cells: Float32Array): ReplayMeasure | undefined {
  const words = i * replayWords(r.window);
  const n = r.words[words + R_COUNT] as number;
  if (n < 0) return undefined;
  return {
    cells,
    textured: r.words[words + R_TEXTURED] === 1,
    distances: r.distances.subarray(i * r.window, i * r.window + n),
  };
}
