/**
 * One training epoch: the seeded batches of the epoch (skipping those a resumed
 * run already did), a data-parallel step on the replicas and an AdamW update in
 * this thread per batch. Stops early, between steps, when asked to.
 */
import type cliProgress from 'cli-progress';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { batchIndices } from '../data/dataset.ts';
import { adamWStep, DEFAULT_ADAMW } from './adamw.ts';
import type { Replicas } from './replicas.ts';
import type { RunState } from './run-state.ts';
import { oneCycleLr } from './schedule.ts';
import type { ComposedSoft } from './soft-targets.ts';
import { type TrainConfig, TrainingDiverged } from './train-types.ts';

/** What stays the same for every epoch of a run. */
export interface EpochPlan {
  config: TrainConfig;
  replicas: Replicas;
  trainCount: number;
  batch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  classWeights: number[];
  soft: ComposedSoft | null;
  trainableIdx: number[];
  nonTrainableIdx: number[];
  /** Per trainable weight: whether weight decay applies (kernels only). */
  decay: boolean[];
}

export interface EpochHooks {
  stopRequested(): boolean;
  /** Runs after every completed step (periodic checkpoints). */
  afterStep(): Promise<void>;
  bar: cliProgress.SingleBar | null;
}

export interface EpochStats {
  lossSum: number;
  correct: number;
  seen: number;
  /** The learning rate of the last step. */
  lr: number;
  seconds: number;
  /** True when a stop request ended the epoch early. */
  stopped: boolean;
}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i] as number)) return false;
  return true;
}

function gatherRows(rows: Float32Array, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * EMOTION_COUNT);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    out.set(rows.subarray(i * EMOTION_COUNT, (i + 1) * EMOTION_COUNT), k * EMOTION_COUNT);
  }
  return out;
}

function learningRate(plan: EpochPlan, globalStep: number): number {
  const { config } = plan;
  return config.schedule === 'onecycle'
    ? oneCycleLr(globalStep, {
        maxLr: config.maxLr,
        totalSteps: plan.totalSteps,
        pctStart: 0.3,
        divFactor: 25,
        finalDivFactor: 1e4,
      })
    : config.maxLr;
}

/** Trains epoch `state.meta.epoch` from step `state.meta.step`, updating the state in place. */
export async function trainEpoch(plan: EpochPlan, state: RunState, hooks: EpochHooks): Promise<EpochStats> {
  const { config, replicas } = plan;
  const { meta, weights, adam } = state;
  const epoch = meta.epoch;
  const epochStart = Date.now();
  const stats: EpochStats = { lossSum: 0, correct: 0, seen: 0, lr: 0, seconds: 0, stopped: false };
  hooks.bar?.start(plan.stepsPerEpoch, meta.step, {
    epoch: `${epoch + 1}/${config.epochs}`,
    imgps: '-',
    loss: '-',
    acc: '-',
  });
  let step = 0;
  for (const indices of batchIndices(plan.trainCount, plan.batch, config.seed, epoch, true)) {
    if (step++ < meta.step) continue; // resume inside an epoch on the same batches
    stats.lr = learningRate(plan, meta.globalStep);
    const res = await replicas.step({
      weights,
      indices,
      seed: (config.seed * 7919 + meta.globalStep) >>> 0,
      globalBatch: indices.length,
      classWeights: plan.classWeights,
      labelSmoothing: config.labelSmoothing,
      augment: config.augment,
      ...(plan.soft ? { teacher: { probs: gatherRows(plan.soft.probs, indices), weight: plan.soft.weight } } : {}),
    });
    const params = plan.trainableIdx.map((i) => weights[i] as Float32Array);
    adamWStep(params, res.grads, adam, stats.lr, plan.decay, { ...DEFAULT_ADAMW, weightDecay: config.weightDecay });
    // NaN weights can still give a finite loss (the loss clamps probabilities), so check them too.
    if (!params.every(allFinite)) {
      throw new TrainingDiverged(
        `training stopped: the weights became NaN or infinite at epoch ${epoch + 1}, step ${step}; nothing was published ` +
          '(check --init-from / --teacher models; a lower --lr usually helps)',
      );
    }
    plan.nonTrainableIdx.forEach((i, k) => {
      weights[i] = res.nonTrainable[k] as Float32Array;
    });
    if (!Number.isFinite(res.lossSum)) {
      throw new TrainingDiverged(
        `training stopped: the loss is ${res.lossSum} at epoch ${epoch + 1}, step ${step}; nothing was published ` +
          '(a lower --lr usually helps)',
      );
    }
    stats.lossSum += res.lossSum;
    stats.correct += res.correct;
    stats.seen += res.count;
    meta.step = step;
    meta.globalStep++;
    meta.trainImages += res.count;
    const secs = (Date.now() - epochStart) / 1000;
    hooks.bar?.update(step, {
      imgps: (stats.seen / secs).toFixed(0),
      loss: (stats.lossSum / stats.seen).toFixed(3),
      acc: (stats.correct / stats.seen).toFixed(3),
    });
    if (hooks.stopRequested()) {
      stats.stopped = true;
      break;
    }
    await hooks.afterStep();
  }
  hooks.bar?.stop();
  stats.seconds = (Date.now() - epochStart) / 1000;
  return stats;
}
