/**
 * What passes between the inference pool (main thread) and its worker threads. Frames
 * and results go through the worker's frame lane (frame-lane.ts, shared memory); the
 * message port carries only start-up and shutdown.
 */
import type { LaneInit } from './frame-lane.ts';
import type { RingInit } from './layout-ring.ts';

export type EngineKind = 'onnx' | 'tfjs';

export interface WorkerInit {
  modelDir: string;
  engine: EngineKind;
  tta: boolean;
  /** tfjs only: pin a backend (default: initBackend's choice). */
  backend?: 'node' | 'wasm' | 'cpu';
  intraOpThreads: number;
  /** onnx only: the file to load (default <modelDir>/model.onnx). */
  onnxFile?: string;
}

/** A worker's workerData. */
export interface WorkerData {
  init: WorkerInit;
  lane: LaneInit;
  /** The pool's layout ring, when frames carry replay checks (layout-ring.ts). */
  ring?: RingInit;
}

export type ToWorker = { type: 'close' };

export type FromWorker = { type: 'ready'; name: string } | { type: 'init-error'; message: string };
