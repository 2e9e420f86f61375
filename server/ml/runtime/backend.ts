/**
 * Picks the TensorFlow.js backend for this process: tfjs-node (native
 * TensorFlow) when it can be loaded, else wasm (XNNPACK), else the pure-JS cpu
 * backend. EMOTION_TF_BACKEND or options.force pins one. The wasm backend runs
 * with tfjs's own kernels here; training adds its kernel replacements itself
 * (training/runtime/training-backend.ts), so the served fallback never runs on them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export const BACKEND_NAMES = ['node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const BACKEND_ENV_VAR = 'EMOTION_TF_BACKEND';

export interface InitBackendOptions {
  force?: BackendName;
  log?: (msg: string) => void;
}

export interface BackendChoice {
  backend: BackendName;
  reason: string;
}

/** tfjs-node registers itself under this engine name. */
const TF_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

export function isBackendName(v: unknown): v is BackendName {
  return typeof v === 'string' && (BACKEND_NAMES as readonly string[]).includes(v);
}

/** The backend requested by EMOTION_TF_BACKEND, or undefined when unset/empty. */
export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendName | undefined {
  const raw = env[BACKEND_ENV_VAR]?.trim().toLowerCase();
  if (!raw) return undefined;
  if (!isBackendName(raw)) {
    throw new Error(`${BACKEND_ENV_VAR}='${env[BACKEND_ENV_VAR]}' is not one of ${BACKEND_NAMES.join('|')}`);
  }
  return raw;
}

/**
 * Stops the cpu backend's one-time "Hi, looks like you are running TensorFlow.js
 * in Node.js…" banner. tfjs has no flag for it: the backend prints it on its
 * first write unless `firstUse` is already false.
 */
export function silenceTfjsNodeHint(): void {
  const cpu = tf.engine().findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
}

let nodeLoad: Promise<{ ok: true } | { ok: false; error: string }> | undefined;

/** Loads @tensorflow/tfjs-node once; it is an optional dependency. */
function loadTfjsNode(): Promise<{ ok: true } | { ok: false; error: string }> {
  const load =
    nodeLoad ??
    (async () => {
      // A variable specifier keeps TypeScript from requiring the package's types.
      const specifier = '@tensorflow/tfjs-node';
      try {
        await import(specifier);
        if (!tf.findBackendFactory(TF_NAME.node)) {
          return { ok: false as const, error: 'package loaded but registered no "tensorflow" backend' };
        }
        return { ok: true as const };
      } catch (err) {
        return { ok: false as const, error: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err) };
      }
    })();
  nodeLoad = load;
  return load;
}

let wasmPathsSet = false;

/** Points the wasm backend at the .wasm binaries in node_modules (it cannot find them by itself in Node). */
function configureWasmPaths(): void {
  if (wasmPathsSet) return;
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(path.dirname(entry) + path.sep);
  wasmPathsSet = true;
}

async function activate(name: BackendName): Promise<void> {
  const tfName = TF_NAME[name];
  if (name === 'wasm' && tf.getBackend() !== tfName) configureWasmPaths();
  if (tf.getBackend() === tfName) return;
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new Error(`TensorFlow.js backend '${tfName}' failed to initialise`);
  await tf.ready();
}

/**
 * Chooses and activates a backend. Safe to call repeatedly: an already-active
 * backend is kept. Throws when a forced backend cannot be used.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  const log = options.log ?? (() => {});
  silenceTfjsNodeHint();
  const forced = options.force ?? backendFromEnv();
  if (forced !== undefined && !isBackendName(forced)) {
    throw new Error(`unknown backend '${String(forced)}', expected ${BACKEND_NAMES.join('|')}`);
  }
  const source = options.force ? 'options.force' : `${BACKEND_ENV_VAR}`;

  let choice: BackendChoice;
  if (forced === 'node') {
    const node = await loadTfjsNode();
    if (!node.ok) {
      throw new Error(
        `backend 'node' was forced (${source}) but @tensorflow/tfjs-node cannot be loaded: ${node.error}`,
      );
    }
    await activate('node');
    choice = { backend: 'node', reason: `forced by ${source}` };
  } else if (forced) {
    await activate(forced);
    choice = { backend: forced, reason: `forced by ${source}` };
  } else {
    const node = await loadTfjsNode();
    if (node.ok) {
      await activate('node');
      choice = { backend: 'node', reason: '@tensorflow/tfjs-node is installed' };
    } else {
      try {
        await activate('wasm');
        choice = {
          backend: 'wasm',
          reason: `@tensorflow/tfjs-node unavailable (${node.error}); using wasm`,
        };
      } catch (err) {
        await activate('cpu');
        const why = err instanceof Error ? err.message : String(err);
        choice = { backend: 'cpu', reason: `tfjs-node unavailable and wasm failed (${why})` };
      }
    }
  }
  log(`tfjs backend: ${choice.backend} (${choice.reason})`);
  return choice;
}
