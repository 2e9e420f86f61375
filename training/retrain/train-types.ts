/** What a training run is given and what it returns. */
import type { SplitReports } from '../../server/ml/model-folder/metrics.ts';
import type { LabeledImages } from '../data/dataset.ts';
import type { Architecture } from '../model/architectures.ts';
import type { EpochRecord } from './checkpoint.ts';
import type { KernelInit } from './init-weights.ts';
import type { WeightSpec } from './messages.ts';
import type { SoftSource } from './soft-targets.ts';

export interface TrainConfig {
  arch: Architecture;
  epochs: number;
  batch: number;
  seed: number;
  maxLr: number;
  schedule: 'onecycle' | 'constant';
  weightDecay: number;
  labelSmoothing: number;
  /** Class weight = (mean count / class count) ^ power; 0 turns weighting off. */
  classWeightPower: number;
  augment: boolean;
  /** Scale of the seeded initial kernels (not used with initFrom). */
  kernelInit: KernelInit;
  /** Stop after this many epochs without a PublicTest improvement. */
  patience: number;
  workers: number;
  backend?: 'node' | 'wasm' | 'cpu';
  runDir: string;
  resume: boolean;
  /** A published model folder of the same architecture to start from (a warm restart) instead of seeded random weights. */
  initFrom?: string;
  /**
   * Distillation: a published model of the same architecture whose flip-averaged
   * probabilities on each (unaugmented) training image are mixed into its target,
   * with weight `distillWeight`. A flip-TTA teacher teaches the student to be as
   * good in one pass as the teacher is in two.
   */
  teacher?: string;
  distillWeight?: number;
  /**
   * How the epoch is picked, declared before training: 'fer' = PublicTest accuracy on
   * the original labels; 'fer+ferplus' = the mean of that and the FER+ majority-label
   * PublicTest accuracy (needs TrainData.ferPlus).
   */
  selection?: Selection;
  checkpointEveryS: number;
  progress: boolean;
}

export const SELECTIONS = ['fer', 'fer+ferplus'] as const;
export type Selection = (typeof SELECTIONS)[number];

export interface TrainData {
  train: LabeledImages;
  publicTest: LabeledImages;
  privateTest: LabeledImages;
  /** Soft targets given with the data (FER+ votes, a cached face-api teacher), one row per training image. */
  soft?: SoftSource[];
  /** FER+ majority labels of the test rows (-1 = excluded), for FER+ accuracy and selection. */
  ferPlus?: { publicTest: Int8Array; privateTest: Int8Array };
}

export interface TrainResult {
  specs: WeightSpec[];
  weights: Float32Array[];
  backend: string;
  history: EpochRecord[];
  bestEpoch: number;
  epochsRun: number;
  wallTimeS: number;
  trainImgPerSec: number;
  evaluation: TrainEvaluation;
  interrupted: boolean;
}

/** The selected weights on both test splits, on the original labels and (with FER+) on FER+ majority labels. */
export interface TrainEvaluation {
  PublicTest: SplitReports;
  PrivateTest: SplitReports;
  ferplus?: { PublicTest: SplitReports; PrivateTest: SplitReports };
}

export class TrainingInterrupted extends Error {}

/** The loss or the weights went NaN or infinite: the weights are garbage from here on, so the run stops. */
export class TrainingDiverged extends Error {}

/** Weight of the teacher in each target when distilling, unless --distill-weight says otherwise. */
export const DEFAULT_DISTILL_WEIGHT = 0.5;
