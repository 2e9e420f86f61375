/**
 * EmotionEngine on TensorFlow.js (tfjs-node when installed, else wasm — chosen by
 * initBackend). Runs in the calling thread; the worker pool gives it threads.
 */
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_CHANNELS, FRAME_HEIGHT, FRAME_WIDTH } from '../../../shared/frame.ts';
import { ModelFolderError } from '../model-folder/files.ts';
import { checkModelFolder } from '../model-folder/model-json.ts';
import { type BackendName, initBackend } from '../runtime/backend.ts';
import { type ChunkForward, normalizeChunk, predictChunked, predictFrames } from './chunked-predict.ts';
import { loadModelFolder } from './tfjs-model.ts';
import type { EmotionEngine } from './types.ts';

export interface TfjsEngineConfig {
  modelDir: string;
  /** Average with the left–right mirrored frame (doubles the compute). */
  tta?: boolean;
  /** Pin a backend; default: initBackend's choice (tfjs-node, else wasm). */
  backend?: BackendName;
  /** Largest batch sent through the model at once (bounds memory for big evaluations). */
  chunk?: number;
}

export interface TfjsEngine extends EmotionEngine {
  readonly backend: BackendName;
  /** Scores a contiguous n×2304 buffer (what the pool and evaluation hold) without splitting it. */
  predictPacked(packed: Uint8Array): Promise<Float32Array>;
}

export async function createTfjsEngine(config: TfjsEngineConfig): Promise<TfjsEngine> {
  const dir = resolve(config.modelDir);
  const tta = config.tta ?? false;
  const chunk = config.chunk ?? 256;
  const { backend } = await initBackend(config.backend ? { force: config.backend } : {});
  await checkModelFolder(dir);
  let model: tf.LayersModel | null;
  try {
    model = await loadModelFolder(dir);
  } catch (err) {
    throw new ModelFolderError(dir, `TensorFlow.js could not load the model: ${(err as Error).message}`);
  }
  const outShape = model.outputs[0]?.shape;
  if (outShape?.[outShape.length - 1] !== EMOTION_COUNT) {
    model.dispose();
    throw new ModelFolderError(dir, `model outputs ${JSON.stringify(outShape)}, expected [null, ${EMOTION_COUNT}]`);
  }

  /** One forward pass over ≤ chunk images; returns flat n×7 probabilities. */
  async function forward(input: Float32Array, n: number): Promise<Float32Array> {
    const m = model;
    if (!m) throw new Error('tfjs engine is disposed');
    // Only the output tensor leaves tidy; its data is read outside (never return typed arrays from tidy).
    const y = tf.tidy(() => {
      const x = tf.tensor4d(input, [n, FRAME_HEIGHT, FRAME_WIDTH, FRAME_CHANNELS]);
      return m.predict(x) as tf.Tensor;
    });
    try {
      return (await y.data()) as Float32Array;
    } finally {
      y.dispose();
    }
  }

  /** With flip TTA the plain and mirrored frames of a chunk go through one forward pass of 2k images. */
  const forwardChunk: ChunkForward = (pixels, k, withFlip) =>
    forward(normalizeChunk(pixels, withFlip), withFlip ? 2 * k : k);

  function predictPacked(packed: Uint8Array): Promise<Float32Array> {
    return predictChunked(packed, forwardChunk, { chunk, tta });
  }

  return {
    name: `tfjs-${backend}${tta ? ' +flip-tta' : ''}`,
    backend,
    predictPacked,
    predict: (frames: Uint8Array[]) => predictFrames(frames, predictPacked),
    async dispose(): Promise<void> {
      model?.dispose();
      model = null;
    },
  };
}
