/**
 * The names of the files in a model folder and the error every reader of the
 * folder throws, so that a broken folder fails with a message naming the
 * folder, the file and the problem instead of a tfjs or onnxruntime stack trace.
 */

/** TensorFlow.js layers model: topology and weight manifest. */
export const MODEL_JSON = 'model.json';
/** The weights model.json's manifest lists (the trainer writes one file). */
export const WEIGHTS_BIN = 'weights.bin';
export const MODEL_ONNX = 'model.onnx';
export const MODEL_INT8_ONNX = 'model.int8.onnx';
export const METRICS_JSON = 'metrics.json';
/** sha256sum-format list of the files the server may load (hashes.ts). */
export const HASHES_FILE = 'SHA256SUMS';
/** metadata_props key in exported ONNX files: sha256 of the weights they were exported from. */
export const ONNX_WEIGHTS_HASH_KEY = 'emotion_arena.weights_sha256';

export class ModelFolderError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(`model folder ${dir}: ${message}`);
    this.name = 'ModelFolderError';
  }
}
