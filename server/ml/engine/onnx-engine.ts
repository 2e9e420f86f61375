/**
 * EmotionEngine on onnxruntime-node (CPU). One session per engine; the pool runs
 * one engine per worker thread with one intra-op thread each, so N workers use N
 * cores without oversubscribing them.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as OrtTypes from 'onnxruntime-node';
import { FRAME_BYTES, FRAME_CHANNELS, FRAME_HEIGHT, FRAME_WIDTH } from '../../../shared/frame.ts';
import { MODEL_INT8_ONNX, MODEL_ONNX, ModelFolderError } from '../model-folder/files.ts';
import { type ChunkForward, normalizeChunk, predictChunked, predictFrames } from './chunked-predict.ts';
import type { EmotionEngine } from './types.ts';

export interface OnnxEngineConfig {
  modelDir: string;
  tta?: boolean;
  /** Threads ORT uses inside one operator (default 1: the pool parallelises across workers). */
  intraOpThreads?: number;
  interOpThreads?: number;
  /** Largest batch sent through the session at once. */
  chunk?: number;
  /** The .onnx file, default <modelDir>/model.onnx. */
  file?: string;
}

export interface OnnxEngine extends EmotionEngine {
  predictPacked(packed: Uint8Array): Promise<Float32Array>;
}

type Ort = typeof OrtTypes;
let ortModule: Promise<Ort> | undefined;

/** Loads onnxruntime-node once; rejects with a clear message when its native binding cannot load. */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: Ort }).default ?? m) as Ort,
    (err: unknown) => {
      throw new Error(
        `onnxruntime-node cannot be loaded: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    },
  );
  return ortModule;
}

export async function createOnnxEngine(config: OnnxEngineConfig): Promise<OnnxEngine> {
  const dir = resolve(config.modelDir);
  const file = resolve(config.file ?? join(dir, MODEL_ONNX));
  const tta = config.tta ?? false;
  const chunk = config.chunk ?? 256;
  if (!existsSync(file)) {
    throw new ModelFolderError(
      dir,
      `${MODEL_ONNX} is missing (export it: node --import tsx training/onnx/export-cli.ts --model ${dir})`,
    );
  }
  const ort = await loadOrt();
  let session: OrtTypes.InferenceSession | null;
  try {
    session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: config.intraOpThreads ?? 1,
      interOpNumThreads: config.interOpThreads ?? 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw new ModelFolderError(dir, `onnxruntime could not load ${file}: ${(err as Error).message}`);
  }
  const inputName = session.inputNames[0] ?? 'input';
  const outputName = session.outputNames[0] ?? 'probs';

  // Runs are serialised: ORT executes one at a time per session anyway, and this
  // lets forward() reuse one input buffer safely.
  let queue: Promise<unknown> = Promise.resolve();
  let scratch = new Float32Array(0);

  const forward: ChunkForward = async (pixels, n, withFlip) => {
    const s = session;
    if (!s) throw new Error('onnx engine is disposed');
    const rows = withFlip ? 2 * n : n;
    if (scratch.length < rows * FRAME_BYTES) scratch = new Float32Array(rows * FRAME_BYTES);
    const input = normalizeChunk(pixels, withFlip, scratch);
    const x = new ort.Tensor('float32', input, [rows, FRAME_HEIGHT, FRAME_WIDTH, FRAME_CHANNELS]);
    const result = await s.run({ [inputName]: x });
    const y = result[outputName];
    if (!y) throw new Error(`onnx model has no output '${outputName}'`);
    // CPU output data is a plain JS array buffer owned by us; no native memory to free.
    return y.data as Float32Array;
  };

  function predictPacked(packed: Uint8Array): Promise<Float32Array> {
    const run = queue.then(() => predictChunked(packed, forward, { chunk, tta }));
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    name: `onnx${file.endsWith(MODEL_INT8_ONNX) ? '-int8' : ''}${tta ? ' +flip-tta' : ''}`,
    predictPacked,
    predict: (frames: Uint8Array[]) => predictFrames(frames, predictPacked),
    async dispose(): Promise<void> {
      await queue;
      const s = session;
      session = null;
      await s?.release();
    },
  };
}
