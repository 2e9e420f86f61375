/**
 * Serves the current emotion model and swaps in a retrained one without dropping
 * games: the new folder is loaded and checked first; only then does it replace the
 * old engine, which is disposed once its in-flight predictions finish. A broken
 * folder is refused with a clear log line and the old model keeps serving.
 * What triggers a reload (the admin route, model-folder-watcher.ts) is wired in main.ts.
 */
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import type { EarlierLayout } from '../../game/liveness-features.ts';
import type { Logger } from '../../logging.ts';
import { verifyModelHashes } from '../model-folder/hashes.ts';
import type { ModelMetrics } from '../model-folder/metrics.ts';
import { scoreFrames } from './score-frames.ts';
import type { EmotionEngine, ScoredFrame } from './types.ts';

export interface ModelInfo {
  dir: string;
  architecture: string;
  metrics: ModelMetrics | null;
  /** True when every file matched the folder's SHA256SUMS; false when it has none (see verifyingLoader). */
  filesVerified?: boolean;
  /** The last reload that changed the engine or precision (e.g. onnx-int8 → onnx), for /healthz. */
  engineChange?: EngineChange | null;
}

export interface EngineChange {
  from: string;
  to: string;
  at: string;
}

export type LoadedEngine = EmotionEngine & { modelInfo: ModelInfo };
export type EngineLoader = (modelDir: string) => Promise<LoadedEngine>;

export type ReloadResult = { ok: true; model: ModelInfo & { engine: string } } | { ok: false; error: string };

/** The engine and precision part of an engine's name ("onnx-int8 (2 workers, batch ≤ 32)" → "onnx-int8"). */
export function engineKind(name: string): string {
  return name.split(' (')[0] ?? name;
}

/**
 * Wraps a loader so that a folder whose files do not match its SHA256SUMS is refused before any
 * runtime reads it (on start and on every reload); a folder without the list loads with a warning.
 */
export function verifyingLoader(load: EngineLoader, log: Logger): EngineLoader {
  return async (dir) => {
    const check = await verifyModelHashes(dir);
    if (!check.verified) {
      log.warn(
        { dir, reason: check.reason },
        'model files are not verified (npm run model-hashes -- <folder> writes the list)',
      );
    }
    const engine = await load(dir);
    engine.modelInfo = { ...engine.modelInfo, filesVerified: check.verified };
    return engine;
  };
}

export class ModelHost implements EmotionEngine {
  private current: LoadedEngine;
  private readonly inFlight = new Map<LoadedEngine, number>();
  private readonly retired = new Set<LoadedEngine>();
  private reloading: Promise<ReloadResult> | null = null;
  private disposed = false;
  private lastEngineChange: EngineChange | null = null;

  constructor(
    initial: LoadedEngine,
    private readonly load: EngineLoader,
    private readonly log: Logger,
    private readonly onSwap: (info: ModelInfo) => void = () => {},
  ) {
    this.current = initial;
  }

  get name(): string {
    return this.current.name;
  }

  get modelInfo(): ModelInfo {
    return { ...this.current.modelInfo, engineChange: this.lastEngineChange };
  }

  predict(frames: Uint8Array[]): Promise<Float32Array[]> {
    return this.using((engine) => engine.predict(frames));
  }

  /** The current engine's predictWithReplay, or its predict() with the replay checks left to the room. */
  predictWithReplay(frames: Uint8Array[], earlier: readonly (readonly EarlierLayout[])[]): Promise<ScoredFrame[]> {
    return this.using((engine) => scoreFrames(engine, frames, earlier));
  }

  /** Runs `use` on the current engine, which is not disposed before it settles. */
  private async using<R>(use: (engine: LoadedEngine) => Promise<R>): Promise<R> {
    const engine = this.current;
    this.inFlight.set(engine, (this.inFlight.get(engine) ?? 0) + 1);
    try {
      return await use(engine);
    } finally {
      const n = (this.inFlight.get(engine) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(engine);
      else this.inFlight.set(engine, n);
      if (n <= 0 && this.retired.has(engine)) this.disposeRetired(engine);
    }
  }

  /** Loads the model folder again (or `dir`); swaps only when the new model loads and predicts sanely. */
  reload(dir: string = this.current.modelInfo.dir): Promise<ReloadResult> {
    if (this.reloading) return this.reloading;
    this.reloading = this.doReload(dir).finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async doReload(dir: string): Promise<ReloadResult> {
    let next: LoadedEngine;
    try {
      next = await this.load(dir);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.log.error(
        { dir, err: error },
        'model reload refused: the new model folder is broken; the old model keeps serving',
      );
      return { ok: false, error };
    }
    try {
      const [probe] = await next.predict([new Uint8Array(FRAME_BYTES).fill(128)]);
      const sum = probe ? probe.reduce((s, x) => s + x, 0) : Number.NaN;
      if (!probe || probe.length !== EMOTION_COUNT || !Number.isFinite(sum) || Math.abs(sum - 1) > 0.01) {
        throw new Error(
          `probe prediction is not a 7-class distribution (got ${probe ? `${probe.length} values summing to ${sum}` : 'nothing'})`,
        );
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.log.error(
        { dir, err: error },
        'model reload refused: the new model does not predict; the old model keeps serving',
      );
      await next.dispose().catch(() => {});
      return { ok: false, error };
    }
    if (this.disposed) {
      await next.dispose().catch(() => {});
      return { ok: false, error: 'server is shutting down' };
    }
    const old = this.current;
    this.current = next;
    this.retired.add(old);
    if (!this.inFlight.has(old)) this.disposeRetired(old);
    // A reload that lands on another engine or precision (an int8 file gone, onnxruntime failing)
    // serves different numbers: say so loudly rather than switch silently.
    const from = engineKind(old.name);
    const to = engineKind(next.name);
    if (from !== to) {
      this.lastEngineChange = { from, to, at: new Date().toISOString() };
      this.log.warn({ dir, from, to }, 'model reload changed the inference engine or precision');
    }
    this.log.info(
      { dir, architecture: next.modelInfo.architecture, engine: next.name, previous: old.modelInfo.architecture },
      'model reloaded',
    );
    this.onSwap(next.modelInfo);
    return { ok: true, model: { ...next.modelInfo, engine: next.name } };
  }

  private disposeRetired(engine: LoadedEngine): void {
    this.retired.delete(engine);
    engine.dispose().catch((err: unknown) => this.log.warn({ err }, 'disposing the previous model failed'));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.reloading) await this.reloading.catch(() => {});
    await this.current.dispose();
    for (const e of [...this.retired]) await e.dispose().catch(() => {});
    this.retired.clear();
  }
}
