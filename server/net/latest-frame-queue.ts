/**
 * Feeds frames to inference without ever queueing without bound: each key (player)
 * has at most one pending frame; a newer frame replaces it (the old one is reported
 * stale). Pending frames of all players go out together as one batch, with a bounded
 * number of batches in flight.
 *
 * Optionally a short batch waits a few milliseconds for company (`gatherMs`, `minBatch`): each
 * batch wakes an inference worker and later the event loop, and on a virtual machine such a
 * cross-thread wake-up costs about as much main-thread CPU as all the game logic of a frame
 * (docs/capacity.md). Under load the queue holds a full batch anyway and nothing waits.
 */
/** Scores a batch: one output per frame, in order; `jobs` are the frames' jobs, in the same order. */
export type Predict<T, R = Float32Array> = (frames: Uint8Array[], jobs: T[]) => Promise<R[]>;

export interface QueueCallbacks<T, R = Float32Array> {
  result(key: string, job: T, output: R, latencyMs: number): void;
  /** The frame was replaced by a newer one from the same key before inference took it. */
  stale(key: string, job: T): void;
  failed(key: string, job: T, error: unknown): void;
}

export interface LatestFrameQueueOptions {
  maxBatch: number;
  maxInFlight: number;
  now: () => number;
  /** How the next drain is scheduled (setImmediate in the server; lets a tick's frames batch together). */
  schedule?: (fn: () => void) => void;
  /** A batch of fewer than `minBatch` frames waits until its oldest frame is this old (0: never waits). */
  gatherMs?: number;
  minBatch?: number;
  /** Timer for the gathering wait (setTimeout in the server; a fake clock's in tests). */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

interface Pending<T> {
  frame: Uint8Array;
  job: T;
  /** When the frame (or the key's first frame still waiting) was queued. */
  at: number;
}

export class LatestFrameQueue<T, R = Float32Array> {
  private readonly pending = new Map<string, Pending<T>>();
  private inFlight = 0;
  private scheduled = false;
  /** The gathering wait, when one is running. */
  private gathering: { cancel(): void } | null = null;
  private closed = false;

  constructor(
    private readonly predict: Predict<T, R>,
    private readonly callbacks: QueueCallbacks<T, R>,
    private readonly options: LatestFrameQueueOptions,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  push(key: string, frame: Uint8Array, job: T): void {
    if (this.closed) return;
    const old = this.pending.get(key);
    // Map order is insertion order: re-insert so the oldest waiting key goes first.
    this.pending.delete(key);
    this.pending.set(key, { frame, job, at: this.options.now() });
    if (old) this.callbacks.stale(key, old.job);
    this.kick();
  }

  /** Drops a key's pending frame (player left). */
  forget(key: string): void {
    this.pending.delete(key);
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
    this.gathering?.cancel();
    this.gathering = null;
  }

  private kick(): void {
    if (this.gathering && this.pending.size >= this.minBatch()) {
      // Enough company arrived: stop waiting.
      this.gathering.cancel();
      this.gathering = null;
      this.scheduled = false;
    }
    if (this.scheduled || this.inFlight >= this.options.maxInFlight) return;
    const wait = this.gatherWait();
    if (wait > 0 && this.options.setTimer) {
      this.scheduled = true;
      this.gathering = this.options.setTimer(() => {
        this.gathering = null;
        this.scheduled = false;
        this.drain();
      }, wait);
      return;
    }
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.drain();
    };
    if (this.options.schedule) this.options.schedule(run);
    else queueMicrotask(run);
  }

  private minBatch(): number {
    return Math.min(this.options.minBatch ?? 1, this.options.maxBatch);
  }

  /** How long the pending frames should still wait for company (0: go now). */
  private gatherWait(): number {
    const gatherMs = this.options.gatherMs ?? 0;
    if (gatherMs <= 0 || this.pending.size >= this.minBatch()) return 0;
    const oldest = this.pending.values().next().value;
    return oldest ? Math.max(0, oldest.at + gatherMs - this.options.now()) : 0;
  }

  private drain(): void {
    while (!this.closed && this.pending.size > 0 && this.inFlight < this.options.maxInFlight) {
      const batch: [string, Pending<T>][] = [];
      for (const entry of this.pending) {
        batch.push(entry);
        if (batch.length >= this.options.maxBatch) break;
      }
      for (const [key] of batch) this.pending.delete(key);
      this.inFlight++;
      const started = this.options.now();
      let promise: Promise<R[]>;
      try {
        promise = this.predict(
          batch.map(([, p]) => p.frame),
          batch.map(([, p]) => p.job),
        );
      } catch (err) {
        promise = Promise.reject(err);
      }
      promise
        .then((outputs) => {
          const latency = this.options.now() - started;
          batch.forEach(([key, p], i) => {
            const out = outputs[i];
            if (out) this.callbacks.result(key, p.job, out, latency);
            else this.callbacks.failed(key, p.job, new Error('engine returned fewer outputs than frames'));
          });
        })
        .catch((err: unknown) => {
          for (const [key, p] of batch) this.callbacks.failed(key, p.job, err);
        })
        .finally(() => {
          this.inFlight--;
          if (this.pending.size > 0) this.kick();
        });
    }
  }
}
