/** Messages between the training coordinator (main thread) and its worker threads. */
import type { Architecture } from '../model/architectures.ts';

export interface SharedImages {
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  count: number;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  size: number;
  trainable: boolean;
}

export interface InitMessage {
  type: 'init';
  arch: Architecture;
  train: SharedImages;
  eval: Record<string, SharedImages>;
  backend?: 'node' | 'wasm' | 'cpu';
}

export interface StepMessage {
  type: 'step';
  /** All model weights in model.weights order. */
  weights: Float32Array[];
  indices: Uint32Array;
  augSeed: number;
  dropoutSeed: number;
  globalBatch: number;
  classWeights: number[];
  labelSmoothing: number;
  augment: boolean;
  /** Distillation: the teacher's probabilities for `indices` (indices.length×7), and their weight in the target. */
  teacher?: TeacherTargets;
}

export interface TeacherTargets {
  probs: Float32Array;
  weight: number;
}

export interface PredictMessage {
  type: 'predict';
  weights: Float32Array[];
  /** An evaluation set's name, or 'train' for the training images (a teacher's soft targets). */
  set: string;
  start: number;
  end: number;
  flip: boolean;
}

export type ToWorker = InitMessage | StepMessage | PredictMessage;

export interface ReadyReply {
  type: 'ready';
  backend: string;
  specs: WeightSpec[];
  initial: Float32Array[];
}

export interface StepReply {
  type: 'step';
  /** Gradients of the trainable weights, in their model.weights order. */
  grads: Float32Array[];
  /** Updated non-trainable weights (BatchNorm moving statistics), in order. */
  nonTrainable: Float32Array[];
  lossSum: number;
  correct: number;
  count: number;
}

export interface PredictReply {
  type: 'predict';
  probs: Float32Array;
}

export interface ErrorReply {
  type: 'error';
  message: string;
}

export type FromWorker = ReadyReply | StepReply | PredictReply | ErrorReply;
