/** Main-thread side of data-parallel training: N worker replicas, each with one tfjs backend thread. */
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../server/util/ts-worker.ts';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import type { LabeledImages } from '../data/dataset.ts';
import type { Architecture } from '../model/architectures.ts';
import type {
  FromWorker,
  PredictReply,
  ReadyReply,
  SharedImages,
  StepMessage,
  StepReply,
  ToWorker,
  WeightSpec,
} from './messages.ts';

export function toShared(d: LabeledImages): SharedImages {
  const images = new SharedArrayBuffer(d.count * FRAME_BYTES);
  new Uint8Array(images).set(d.images.subarray(0, d.count * FRAME_BYTES));
  const labels = new SharedArrayBuffer(Math.max(1, d.count));
  new Uint8Array(labels).set(d.labels.subarray(0, d.count));
  return { images, labels, count: d.count };
}

class Replica {
  private pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;

  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => {
      const p = this.pending;
      this.pending = null;
      if (!p) return;
      if (m.type === 'error') p.reject(new Error(`training worker failed: ${m.message}`));
      else p.resolve(m);
    });
    worker.on('error', (err: unknown) => {
      this.pending?.reject(err instanceof Error ? err : new Error(String(err)));
      this.pending = null;
    });
    worker.on('exit', (code) => {
      this.pending?.reject(new Error(`training worker exited with code ${code}`));
      this.pending = null;
    });
  }

  call<T extends FromWorker>(msg: ToWorker, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.pending) throw new Error('replica is busy');
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (m: FromWorker) => void, reject };
      this.worker.postMessage(msg, transfer);
    });
  }
}

export interface StepInput extends Omit<StepMessage, 'type' | 'indices' | 'augSeed' | 'dropoutSeed'> {
  indices: Uint32Array;
  seed: number;
}

export interface StepResult {
  /** Summed over replicas: gradient of the mean loss over the global batch. */
  grads: Float32Array[];
  /** Averaged BatchNorm moving statistics. */
  nonTrainable: Float32Array[];
  lossSum: number;
  correct: number;
  count: number;
}

export class Replicas {
  private constructor(
    private readonly replicas: Replica[],
    readonly specs: WeightSpec[],
    readonly initial: Float32Array[],
    readonly backend: string,
    private readonly evalCounts: Record<string, number>,
  ) {}

  static async start(
    n: number,
    arch: Architecture,
    train: SharedImages,
    evalSets: Record<string, SharedImages>,
    backend?: 'node' | 'wasm' | 'cpu',
  ): Promise<Replicas> {
    const replicas = Array.from(
      { length: n },
      () => new Replica(startTsWorker(new URL('./train-worker.ts', import.meta.url), { name: 'train-worker' })),
    );
    const readies = await Promise.all(
      replicas.map((r) => r.call<ReadyReply>({ type: 'init', arch, train, eval: evalSets, backend })),
    );
    const first = readies[0] as ReadyReply;
    const counts = {
      ...Object.fromEntries(Object.entries(evalSets).map(([k, v]) => [k, v.count])),
      train: train.count,
    };
    return new Replicas(replicas, first.specs, first.initial, first.backend, counts);
  }

  get size(): number {
    return this.replicas.length;
  }

  async step(input: StepInput): Promise<StepResult> {
    const n = this.replicas.length;
    const per = Math.ceil(input.indices.length / n);
    const parts = this.replicas
      .map((r, k) => ({ r, k, idx: input.indices.slice(k * per, Math.min(input.indices.length, (k + 1) * per)) }))
      .filter((p) => p.idx.length > 0);
    const replies = await Promise.all(
      parts.map(({ r, k, idx }) =>
        r.call<StepReply>({
          type: 'step',
          weights: input.weights,
          indices: idx,
          augSeed: mix(input.seed, 2 * k + 1),
          dropoutSeed: mix(input.seed, 2 * k + 2),
          globalBatch: input.globalBatch,
          classWeights: input.classWeights,
          labelSmoothing: input.labelSmoothing,
          augment: input.augment,
          ...(input.teacher
            ? {
                teacher: {
                  probs: input.teacher.probs.slice(k * per * EMOTION_COUNT, (k * per + idx.length) * EMOTION_COUNT),
                  weight: input.teacher.weight,
                },
              }
            : {}),
        }),
      ),
    );
    const first = replies[0] as StepReply;
    const grads = first.grads;
    const nonTrainable = first.nonTrainable;
    for (const rep of replies.slice(1)) {
      rep.grads.forEach((g, i) => {
        addInto(grads[i] as Float32Array, g);
      });
      rep.nonTrainable.forEach((g, i) => {
        addInto(nonTrainable[i] as Float32Array, g);
      });
    }
    if (replies.length > 1)
      for (const a of nonTrainable) for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) / replies.length;
    return {
      grads,
      nonTrainable,
      lossSum: replies.reduce((s, r) => s + r.lossSum, 0),
      correct: replies.reduce((s, r) => s + r.correct, 0),
      count: replies.reduce((s, r) => s + r.count, 0),
    };
  }

  /** Probabilities (count×7) for a whole evaluation set, split across replicas. */
  async predict(weights: Float32Array[], set: string, flip: boolean): Promise<Float32Array> {
    const count = this.evalCounts[set];
    if (count === undefined) throw new Error(`unknown evaluation set ${set}`);
    const per = Math.ceil(count / this.replicas.length);
    const out = new Float32Array(count * EMOTION_COUNT);
    await Promise.all(
      this.replicas.map(async (r, k) => {
        const start = k * per;
        const end = Math.min(count, start + per);
        if (end <= start) return;
        const rep = await r.call<PredictReply>({ type: 'predict', weights, set, start, end, flip });
        out.set(rep.probs, start * EMOTION_COUNT);
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.worker.terminate()));
  }
}

function addInto(a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + (b[i] as number);
}

function mix(seed: number, k: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + k * 0x9e3779b9) >>> 0;
}
