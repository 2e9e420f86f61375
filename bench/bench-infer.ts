/**
 * npm run bench:infer -- [--model <dir>] [--arch vgg16] [--engines onnx,tfjs-wasm,tfjs-node]
 *   [--batches 1,2,4,8,16,32,64] [--seconds 1.5] [--workers N] [--tta] [--peak-gflops 100] [--json]
 *
 * Forward throughput (img/s) and latency (p50/p99 per call) of the served model
 * for each batch size: on one engine in this thread ("1 thread"), through the
 * worker pool with one worker ("pool×1", adds messaging), and through the whole
 * pool ("pool×N"). Compares to the CPU's compute limit: model FLOPs × img/s
 * against cores × peak (assumed 100 GFLOP/s fp32 per core unless --peak-gflops).
 * With --json the last line is one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createEmotionEngine } from '../server/ml/engine/create-engine.ts';
import { createOnnxEngine, loadOrt } from '../server/ml/engine/onnx-engine.ts';
import { createTfjsEngine } from '../server/ml/engine/tfjs-engine.ts';
import { loadModelFolder } from '../server/ml/engine/tfjs-model.ts';
import { MODEL_INT8_ONNX, MODEL_ONNX } from '../server/ml/model-folder/files.ts';
import { readModelMetrics, servedTta } from '../server/ml/model-folder/metrics.ts';
import { hasOnnx } from '../server/ml/model-folder/onnx-file.ts';
import { type BackendName, initBackend } from '../server/ml/runtime/backend.ts';
import { FRAME_BYTES } from '../shared/frame.ts';
import { resolveDataPath } from '../training/data/dataset.ts';
import { readFer2013 } from '../training/data/fer2013-reader.ts';
import { ARCHITECTURES, type Architecture, buildArchitecture, countFlops } from '../training/model/architectures.ts';
import { saveModelFolder } from '../training/model/save-model.ts';
import { exportOnnx } from '../training/onnx/export.ts';
import { exportInt8Onnx } from '../training/onnx/int8.ts';

type EngineId = 'onnx' | 'onnx-int8' | 'tfjs-wasm' | 'tfjs-node' | 'tfjs-cpu';
const ENGINE_IDS: EngineId[] = ['onnx', 'onnx-int8', 'tfjs-wasm', 'tfjs-node', 'tfjs-cpu'];

export interface BenchRow {
  engine: EngineId;
  mode: '1 thread' | 'pool';
  workers: number;
  batch: number;
  imgPerSec: number;
  p50Ms: number;
  p99Ms: number;
  calls: number;
  /** Fraction of the compute limit of the cores used (workers × peak). */
  peakFraction: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Other processes using CPU right now (the background trainer depresses every number). */
function busyProcesses(): string[] {
  try {
    const out = execFileSync('ps', ['-eo', 'pid,pcpu,etime,args', '--sort=-pcpu'], { encoding: 'utf8' });
    return out
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() && !l.includes(`${process.pid} `) && Number(l.trim().split(/\s+/)[1]) >= 20)
      .map((l) => l.trim().slice(0, 140));
  } catch {
    return [];
  }
}

function list<T extends string>(allowed: readonly T[]) {
  return (v: string): T[] => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const it of items) {
      if (!(allowed as readonly string[]).includes(it))
        throw new InvalidArgumentError(`'${it}' is not one of ${allowed.join(', ')}`);
    }
    return items as T[];
  };
}

function intList(v: string): number[] {
  const items = v.split(',').map((s) => Number(s.trim()));
  if (items.length === 0 || items.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) {
    throw new InvalidArgumentError('must be a comma-separated list of integers in 1..4096');
  }
  return items;
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

interface Options {
  model?: string;
  arch: Architecture;
  engines?: EngineId[];
  batches: number[];
  seconds: number;
  workers: number;
  tta?: boolean;
  peakGflops: number;
  pool: boolean;
  json?: boolean;
}

/** Runs `call` back to back for ~seconds (after a warm-up); returns per-call latencies in ms. */
async function timeLoop(call: () => Promise<unknown>, seconds: number): Promise<{ lat: number[]; wall: number }> {
  for (let i = 0; i < 2; i++) await call();
  const lat: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || lat.length < 3) {
    const s = performance.now();
    await call();
    lat.push(performance.now() - s);
  }
  return { lat, wall: (performance.now() - t0) / 1000 };
}

/** Keeps `concurrency` requests of `batch` frames in flight for ~seconds. */
async function closedLoop(
  predict: (f: Uint8Array[]) => Promise<unknown>,
  frames: (k: number) => Uint8Array[],
  concurrency: number,
  seconds: number,
): Promise<{ lat: number[]; wall: number; done: number }> {
  await Promise.all(Array.from({ length: concurrency }, (_, i) => predict(frames(i))));
  const lat: number[] = [];
  let done = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      let k = c;
      while (performance.now() < end) {
        const s = performance.now();
        await predict(frames(k));
        lat.push(performance.now() - s);
        done++;
        k += concurrency;
      }
    }),
  );
  return { lat, wall: (performance.now() - t0) / 1000, done };
}

export async function main(argv = process.argv): Promise<void> {
  const cores = availableParallelism();
  const program: Command = new Command()
    .name('bench:infer')
    .description('Inference throughput/latency of the served model per engine and batch size')
    .option('--model <dir>', 'model folder (default: $MODEL_DIR, else models/emotion; else a random --arch model)')
    .addOption(
      new Option('--arch <arch>', 'architecture of the random model used when no folder exists')
        .choices([...ARCHITECTURES])
        .default('vgg16'),
    )
    .option(
      '--engines <list>',
      `engines to measure (${ENGINE_IDS.join(',')}; default: all available except tfjs-cpu)`,
      list(ENGINE_IDS),
    )
    .option('--batches <list>', 'batch sizes', intList, [1, 2, 4, 8, 16, 32, 64])
    .option('--seconds <s>', 'measuring time per point', positive, 1.5)
    .option('--workers <n>', 'pool size', positiveInt, cores)
    .option('--tta', 'flip TTA (default: metrics.json served.tta)')
    .option('--no-tta', 'no TTA')
    .option('--peak-gflops <g>', 'assumed fp32 peak per core, GFLOP/s', positive, 100)
    .option('--no-pool', 'skip the worker-pool measurements')
    .option('--json', 'print one JSON object as the last line')
    .showHelpAfterError();
  program.parse(argv);
  const opts = program.opts<Options>();

  await initBackend();
  let modelDir = opts.model ? resolve(opts.model) : resolve(process.env.MODEL_DIR ?? 'models/emotion');
  let tempRoot: string | null = null;
  let modelNote = '';
  if (!existsSync(join(modelDir, 'model.json'))) {
    if (opts.model) program.error(`error: --model ${opts.model} has no model.json`, { exitCode: 2 });
    tempRoot = await mkdtemp(join(tmpdir(), 'bench-infer-'));
    modelDir = join(tempRoot, opts.arch);
    const m = buildArchitecture(opts.arch);
    await saveModelFolder(m, modelDir);
    m.dispose();
    modelNote = ` (no served model found: random-weight ${opts.arch}, same speed)`;
  }
  if (!hasOnnx(modelDir)) {
    // Never write into a served folder (the server may watch it): export a copy.
    if (!tempRoot) {
      tempRoot = await mkdtemp(join(tmpdir(), 'bench-infer-'));
      const copy = join(tempRoot, 'model');
      await cp(modelDir, copy, { recursive: true });
      modelNote = ' (no model.onnx: exported a temporary copy)';
      modelDir = copy;
    }
    await exportOnnx(modelDir);
  }
  const metrics = await readModelMetrics(modelDir);
  const tta = opts.tta ?? servedTta(metrics);
  const tfModel = await loadModelFolder(modelDir);
  const flopsPerImage = countFlops(tfModel) * (tta ? 2 : 1);
  tfModel.dispose();

  // Real faces when the data is there (speed does not depend on content, but it is what the server sees).
  const dataPath = resolveDataPath();
  let pool: Uint8Array;
  if (dataPath && existsSync(dataPath)) {
    pool = (await readFer2013(dataPath)).images.subarray(0, 256 * FRAME_BYTES);
  } else {
    const fixture = resolve(import.meta.dirname, '../test/fixtures/fer2013-sample.csv');
    pool = existsSync(fixture)
      ? (await readFer2013(fixture)).images
      : Uint8Array.from({ length: 256 * FRAME_BYTES }, (_, i) => (i * 7919) & 255);
  }
  const nPool = pool.byteLength / FRAME_BYTES;
  const framesAt = (k: number, b: number): Uint8Array[] =>
    Array.from({ length: b }, (_, i) => {
      const j = (k * b + i) % nPool;
      return pool.subarray(j * FRAME_BYTES, (j + 1) * FRAME_BYTES);
    });
  const packedAt = (k: number, b: number): Uint8Array => {
    const out = new Uint8Array(b * FRAME_BYTES);
    for (const [i, f] of framesAt(k, b).entries()) out.set(f, i * FRAME_BYTES);
    return out;
  };

  // Which engines exist here.
  const available: EngineId[] = [];
  const skipped: string[] = [];
  let int8Note = '';
  try {
    await loadOrt();
    available.push('onnx', 'onnx-int8');
  } catch (err) {
    skipped.push(`onnx: ${(err as Error).message}`);
  }
  for (const b of ['wasm', 'node', 'cpu'] as BackendName[]) {
    try {
      await initBackend({ force: b });
      available.push(`tfjs-${b}` as EngineId);
    } catch (err) {
      skipped.push(`tfjs-${b}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  await initBackend();
  const wanted = opts.engines ?? available.filter((e) => e !== 'tfjs-cpu');
  const engines = wanted.filter((e) => available.includes(e));
  for (const e of wanted) if (!available.includes(e)) skipped.push(`${e}: not available`);

  let int8Dir = modelDir;
  if (engines.includes('onnx-int8') && !existsSync(join(modelDir, MODEL_INT8_ONNX))) {
    // A copy, never the served folder. Speed does not depend on calibration quality;
    // accuracy is gated by export-cli --int8, not here.
    tempRoot ??= await mkdtemp(join(tmpdir(), 'bench-infer-'));
    int8Dir = join(tempRoot, 'int8');
    await cp(modelDir, int8Dir, { recursive: true });
    await exportInt8Onnx(int8Dir, pool.subarray(0, Math.min(nPool, 256) * FRAME_BYTES));
    int8Note = ' (onnx-int8: built for this benchmark from the bench faces, not accuracy-gated)';
  }
  const busy = busyProcesses();
  const header = {
    machine: { cpu: cpuModel(), cores, loadavg1: Number(loadavg()[0]?.toFixed(2)) },
    model: { dir: modelDir, note: modelNote.trim(), flopsPerImage, tta },
    peakGflopsPerCore: opts.peakGflops,
    busyProcesses: busy,
  };
  const log = (s: string) => {
    if (!opts.json) console.log(s);
    else console.error(s);
  };
  log(`machine  ${header.machine.cpu}, ${cores} cores, load ${header.machine.loadavg1}`);
  if (busy.length > 0) log(`WARNING  other busy processes (numbers are depressed):\n  ${busy.join('\n  ')}`);
  log(`model    ${opts.model ? resolve(opts.model) : modelDir}${modelNote}`);
  log(`         ${(flopsPerImage / 1e6).toFixed(1)} MFLOP per frame${tta ? ' (flip TTA: 2 forward passes)' : ''}`);
  log(
    `peak     assumed ${opts.peakGflops} GFLOP/s fp32 per core (--peak-gflops); % peak = FLOPs × img/s / (cores used × peak)`,
  );
  if (engines.includes('onnx-int8')) {
    log(
      '         onnx-int8 rows count the same (fp32-equivalent) FLOPs: int8 VNNI kernels can exceed 100% of the fp32 peak',
    );
  }
  log(`engines  ${engines.join(', ')}${int8Note}${skipped.length ? `   (skipped: ${skipped.join('; ')})` : ''}`);
  log('');
  log(
    `${'engine'.padEnd(10)}${'mode'.padEnd(10)}${'batch'.padStart(6)}${'img/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'% peak'.padStart(8)}`,
  );

  const rows: BenchRow[] = [];
  const record = (r: BenchRow) => {
    rows.push(r);
    log(
      `${r.engine.padEnd(10)}${(r.mode === 'pool' ? `pool×${r.workers}` : r.mode).padEnd(10)}${String(r.batch).padStart(6)}${r.imgPerSec.toFixed(0).padStart(10)}${r.p50Ms.toFixed(2).padStart(9)}${r.p99Ms.toFixed(2).padStart(9)}${(100 * r.peakFraction).toFixed(1).padStart(8)}`,
    );
  };
  const fraction = (imgPerSec: number, usedCores: number) =>
    (flopsPerImage * imgPerSec) / (usedCores * opts.peakGflops * 1e9);

  for (const engineId of engines) {
    // 1 thread: the engine in this thread, no pool; pure forward + preprocessing.
    const backend = engineId.startsWith('tfjs-') ? (engineId.slice(5) as BackendName) : null;
    const onnxFile = engineId === 'onnx-int8' ? join(int8Dir, MODEL_INT8_ONNX) : join(modelDir, MODEL_ONNX);
    const engine = backend
      ? await createTfjsEngine({ modelDir, tta, backend })
      : await createOnnxEngine({ modelDir, tta, intraOpThreads: 1, file: onnxFile });
    for (const b of opts.batches) {
      const inputs = Array.from({ length: 4 }, (_, k) => packedAt(k, b));
      let k = 0;
      const { lat, wall } = await timeLoop(() => engine.predictPacked(inputs[k++ % 4] as Uint8Array), opts.seconds);
      lat.sort((x, y) => x - y);
      const ips = (lat.length * b) / wall;
      record({
        engine: engineId,
        mode: '1 thread',
        workers: 1,
        batch: b,
        imgPerSec: ips,
        p50Ms: percentile(lat, 50),
        p99Ms: percentile(lat, 99),
        calls: lat.length,
        peakFraction: fraction(ips, 1),
      });
    }
    await engine.dispose();

    if (!opts.pool) continue;
    const poolEngine = engineId.startsWith('onnx') ? 'onnx' : 'tfjs';
    const prevEnv = process.env.EMOTION_TF_BACKEND;
    if (backend) process.env.EMOTION_TF_BACKEND = backend; // the workers' initBackend reads it
    const sizes = [...new Set([1, opts.workers])];
    for (const w of sizes) {
      for (const b of opts.batches) {
        const served = await createEmotionEngine({
          modelDir: engineId === 'onnx-int8' ? int8Dir : modelDir,
          engine: poolEngine,
          workers: w,
          maxBatch: b,
          tta,
          ...(poolEngine === 'onnx' ? { precision: engineId === 'onnx-int8' ? 'int8' : 'fp32' } : {}),
        });
        // Two requests per worker keep every worker busy while results travel back.
        const { lat, wall, done } = await closedLoop(
          (f) => served.predict(f),
          (k) => framesAt(k, b),
          2 * w,
          opts.seconds,
        );
        await served.dispose();
        lat.sort((x, y) => x - y);
        const ips = (done * b) / wall;
        record({
          engine: engineId,
          mode: 'pool',
          workers: w,
          batch: b,
          imgPerSec: ips,
          p50Ms: percentile(lat, 50),
          p99Ms: percentile(lat, 99),
          calls: done,
          peakFraction: fraction(ips, Math.min(w, cores)),
        });
      }
    }
    if (prevEnv === undefined) delete process.env.EMOTION_TF_BACKEND;
    else process.env.EMOTION_TF_BACKEND = prevEnv;
  }
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });

  const best = rows.reduce<BenchRow | null>((a, r) => (!a || r.imgPerSec > a.imgPerSec ? r : a), null);
  if (best)
    log(
      `\nbest: ${best.engine} ${best.mode === 'pool' ? `pool×${best.workers}` : best.mode} batch ${best.batch}: ${best.imgPerSec.toFixed(0)} img/s, ${(100 * best.peakFraction).toFixed(1)}% of peak`,
    );
  if (opts.json) console.log(JSON.stringify({ ...header, engines, skipped, rows, best }));
}

main().catch((err: unknown) => {
  console.error(`bench:infer failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
