/** Messages between the inference pool (main thread) and its worker threads. */

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

export interface PredictRequest {
  type: 'predict';
  id: number;
  /** n×2304 contiguous frames; its buffer is transferred, not copied. */
  pixels: Uint8Array;
}

export type ToWorker = PredictRequest | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; name: string }
  | { type: 'init-error'; message: string }
  | { type: 'result'; id: number; probs: Float32Array }
  | { type: 'error'; id: number; message: string };
