/**
 * The server's entry point to inference: createEmotionEngine() picks the engine
 * for a model folder, starts the worker pool and describes the model.
 *
 * Hot swap (new model without a restart): create the new engine first, switch
 * the game's reference to it, then `await old.dispose()` — dispose() finishes
 * every request it already accepted before stopping its workers, so no player's
 * frame is lost. `swapEngine` below does exactly that.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_LIVENESS } from '../../game/liveness.ts';
import type { ModelMetrics } from '../model-folder/metrics.ts';
import { readModelMetrics, servedTta } from '../model-folder/metrics.ts';
import { architectureOf, checkModelFolder } from '../model-folder/model-json.ts';
import { type OnnxPrecision, resolveOnnxFile } from '../model-folder/onnx-file.ts';
import { applyCalibration, readCalibration } from './calibration.ts';
import { loadOrt } from './onnx-engine.ts';
import { createWorkerPool, type PoolLog } from './pool.ts';
import type { EngineKind } from './pool-protocol.ts';
import type { EmotionEngine } from './types.ts';

export interface CreateEmotionEngineOptions {
  modelDir: string;
  /** Default: 'onnx' when model.onnx exists and onnxruntime-node loads, else 'tfjs'. */
  engine?: EngineKind;
  /** Worker threads (default: one per core). */
  workers?: number;
  /** Largest micro-batch sent to one worker (default 32). */
  maxBatch?: number;
  log?: PoolLog;
  /** Override metrics.json's served.tta. */
  tta?: boolean;
  /** ONNX weights: 'auto' (default) serves model.int8.onnx when present and fresh, else model.onnx. */
  precision?: OnnxPrecision | 'auto';
  /** Apply the folder's calibration.json to every prediction (default true; false = the network's raw output). */
  calibrate?: boolean;
}

export interface ModelInfo {
  dir: string;
  architecture: string;
  metrics: ModelMetrics | null;
}

/** What createEmotionEngine returns: EmotionEngine & { modelInfo: { dir; architecture; metrics } }, plus pending(). */
export type ServedEngine = EmotionEngine & {
  modelInfo: ModelInfo;
  /** Frames queued or being scored right now. */
  pending(): number;
  /** Batches and frames sent to workers so far (shows how well micro-batching works). */
  stats(): { batches: number; frames: number };
};

export const DEFAULT_MAX_BATCH = 32;

/** Which engine (and ONNX file) to use for a folder, and why (exported for tests and the CLIs). */
export async function chooseEngine(
  dir: string,
  requested?: EngineKind,
  precision: OnnxPrecision | 'auto' = 'auto',
): Promise<{ engine: EngineKind; onnxFile?: string; reason: string }> {
  if (requested === 'tfjs') return { engine: 'tfjs', reason: 'requested' };
  const onnx = await resolveOnnxFile(dir, precision);
  if (requested === 'onnx' || precision !== 'auto') {
    if (!onnx.ok) {
      throw new Error(
        `engine 'onnx' requested but ${onnx.reason} in ${dir} (run training/onnx/export-cli.ts --model ${dir})`,
      );
    }
    await loadOrt();
    return { engine: 'onnx', onnxFile: onnx.file, reason: 'requested' };
  }
  if (!onnx.ok) return { engine: 'tfjs', reason: onnx.reason };
  try {
    await loadOrt();
    return {
      engine: 'onnx',
      onnxFile: onnx.file,
      reason: `${onnx.precision} ONNX file present and onnxruntime-node loads`,
    };
  } catch (err) {
    return { engine: 'tfjs', reason: (err as Error).message };
  }
}

export async function createEmotionEngine(options: {
  modelDir: string;
  engine?: 'onnx' | 'tfjs';
  workers?: number;
  maxBatch?: number;
  log?: { info(o: object | string, msg?: string): void; warn(o: object | string, msg?: string): void };
  tta?: boolean;
  precision?: OnnxPrecision | 'auto';
  calibrate?: boolean;
}): Promise<ServedEngine> {
  const opts: CreateEmotionEngineOptions = options;
  const dir = resolve(opts.modelDir);
  const json = await checkModelFolder(dir);
  const metrics = await readModelMetrics(dir);
  const architecture = architectureOf(json, metrics);
  const tta = opts.tta ?? servedTta(metrics);
  const workers = Math.max(1, Math.floor(opts.workers ?? availableParallelism()));
  const maxBatch = Math.max(1, Math.floor(opts.maxBatch ?? DEFAULT_MAX_BATCH));
  const choice = await chooseEngine(dir, opts.engine, opts.precision ?? 'auto');
  const calibration = (opts.calibrate ?? true) ? readCalibration(dir) : null;

  const start = (engine: EngineKind) =>
    createWorkerPool({
      init: {
        modelDir: dir,
        engine,
        tta,
        intraOpThreads: 1,
        ...(engine === 'onnx' && choice.onnxFile ? { onnxFile: choice.onnxFile } : {}),
      },
      workers,
      maxBatch,
      // The longest window a replay check can have (liveness.ts): every check rides along.
      replayWindow: DEFAULT_LIVENESS.maxFrames,
      ...(opts.log ? { log: opts.log } : {}),
    });
  let pool: Awaited<ReturnType<typeof start>>;
  let reason = choice.reason;
  try {
    pool = await start(choice.engine);
  } catch (err) {
    // An ONNX file that onnxruntime rejects should not take the game down: tfjs can serve the same folder.
    if (choice.engine !== 'onnx' || opts.engine === 'onnx' || (opts.precision ?? 'auto') !== 'auto') throw err;
    opts.log?.warn({ err: (err as Error).message }, 'ONNX engine failed to start; falling back to tfjs');
    reason = `onnx failed: ${(err as Error).message}`;
    pool = await start('tfjs');
  }
  const name = `${pool.engineName}${calibration ? ', calibrated' : ''} (${workers} worker${workers === 1 ? '' : 's'}, batch ≤ ${maxBatch})`;
  opts.log?.info({ engine: name, reason, model: dir, architecture, tta }, 'emotion engine ready');
  const served = pool;
  return {
    name,
    modelInfo: { dir, architecture, metrics },
    // The meter calibration (calibration.ts) is applied where the probabilities leave the engine.
    predict: calibration
      ? async (frames) => (await served.predict(frames)).map((p) => applyCalibration(calibration, p))
      : (frames) => served.predict(frames),
    predictWithReplay: calibration
      ? async (frames, earlier) =>
          (await served.predictWithReplay(frames, earlier)).map((s) => ({
            ...s,
            probabilities: applyCalibration(calibration, s.probabilities),
          }))
      : (frames, earlier) => served.predictWithReplay(frames, earlier),
    pending: () => pool.pending(),
    stats: () => pool.stats(),
    dispose: () => pool.dispose(),
  };
}

/**
 * Hot swap: starts an engine on `modelDir`, hands it to `install` (which points
 * the game at it), then disposes `old` once its accepted work is done. If the new
 * engine cannot start, `old` keeps serving and the error is thrown.
 */
export async function swapEngine(
  old: EmotionEngine,
  options: Parameters<typeof createEmotionEngine>[0],
  install: (next: ServedEngine) => void,
): Promise<ServedEngine> {
  const next = await createEmotionEngine(options);
  install(next);
  await old.dispose();
  return next;
}
