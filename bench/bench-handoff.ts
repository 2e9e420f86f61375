/**
 * npm run bench:handoff -- [--model DIR | --arch seed] [--players 300] [--fps 5] [--seconds 20]
 *                          [--workers 2] [--max-batch 32] [--in-flight N] [--json]
 *
 * Main-thread cost of handing frames to the inference workers and reading results back,
 * per scored frame. It drives the real pool the way the server does (each simulated
 * player pushes one frame every 1/fps s into a LatestFrameQueue; batches of ≤ max-batch,
 * one batch in flight per worker) and measures the main thread only:
 *   - cpu: the main thread's own CPU time, from /proc/self/task/<pid>/stat (the worker
 *     threads' inference is not counted, and neither is time the OS gave to other processes);
 *   - elu: event-loop active time (wall clock, so inflated on a busy machine).
 * The same harness is then run against an in-thread stub engine that answers at once;
 * its cost is subtracted, leaving the hand-off alone ("handoff µs/frame").
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { createEmotionEngine } from '../server/ml/engine/create-engine.ts';
import { initBackend } from '../server/ml/runtime/backend.ts';
import { LatestFrameQueue } from '../server/net/latest-frame-queue.ts';
import { EMOTION_COUNT } from '../shared/emotions.ts';
import { FRAME_BYTES } from '../shared/frame.ts';
import { type Architecture, buildArchitecture, isArchitecture } from '../training/model/architectures.ts';
import { saveModelFolder } from '../training/model/save-model.ts';
import { exportOnnx } from '../training/onnx/export.ts';

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

interface Options {
  model: string;
  closed?: string;
  /** A random-weight model of this architecture instead of --model ('seed' is the cheapest: the hand-off dominates). */
  arch?: string;
  players: number;
  fps: number;
  seconds: number;
  workers: number;
  maxBatch: number;
  /** Batches in flight at once (the server uses one per worker). */
  inFlight?: number;
  json?: boolean;
}

type Predict = (frames: Uint8Array[]) => Promise<Float32Array[]>;

export interface RunResult {
  scored: number;
  stale: number;
  failed: number;
  cpuMs: number;
  eluActiveMs: number;
  p50Ms: number;
  p95Ms: number;
  framesPerSecond: number;
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux.

/** utime + stime of the main thread (tid = pid), in ms; null where /proc is missing. */
export function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * CLOCK_TICK_MS;
  } catch {
    return null;
  }
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Simulated players pushing frames at `fps` into a LatestFrameQueue over `predict`, for `seconds`. */
export async function drive(
  predict: Predict,
  o: Required<Omit<Options, 'model' | 'json' | 'arch' | 'closed'>>,
): Promise<RunResult> {
  const faces = new Uint8Array(256 * FRAME_BYTES);
  for (let i = 0; i < faces.length; i++) faces[i] = (i * 7919 + (i >> 11)) & 255;
  let scored = 0;
  let stale = 0;
  let failed = 0;
  const latencies: number[] = [];
  const queue = new LatestFrameQueue<number>(
    predict,
    {
      result: (_k, sentAt) => {
        scored++;
        latencies.push(performance.now() - sentAt);
      },
      stale: () => void stale++,
      failed: () => void failed++,
    },
    { maxBatch: o.maxBatch, maxInFlight: o.inFlight, now: () => performance.now(), schedule: setImmediate },
  );
  const keys = Array.from({ length: o.players }, (_, i) => `p${i}`);
  const perMs = (o.players * o.fps) / 1000;
  // Each timer tick pushes the frames due since the last one, players in turn: the offered
  // rate is players × fps however late the timers fire (as sockets deliver on a busy loop).
  let pushed = 0;
  const cpu0 = mainThreadCpuMs() ?? 0;
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      const due = Math.floor(Math.min(elapsed, o.seconds * 1000) * perMs);
      for (; pushed < due; pushed++) {
        const j = (pushed * 31) & 255;
        const key = keys[pushed % keys.length] as string;
        queue.push(key, faces.subarray(j * FRAME_BYTES, (j + 1) * FRAME_BYTES), performance.now());
      }
      if (elapsed >= o.seconds * 1000) {
        clearInterval(timer);
        done();
      }
    }, 5);
  });
  // Let the last batches come back.
  while (queue.inFlightCount > 0) await new Promise((r) => setTimeout(r, 2));
  const wallS = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  const cpuMs = (mainThreadCpuMs() ?? 0) - cpu0;
  queue.close();
  latencies.sort((a, b) => a - b);
  return {
    scored,
    stale,
    failed,
    cpuMs,
    eluActiveMs: elu.active,
    p50Ms: quantile(latencies, 0.5),
    p95Ms: quantile(latencies, 0.95),
    framesPerSecond: scored / wallS,
  };
}

/**
 * Closed loop: `inFlight` requests of exactly `batch` frames always outstanding, a new one as
 * each resolves. Fixed batch sizes make the main thread's CPU per batch comparable between
 * runs on a busy machine (an open loop's batches grow when the machine is slow).
 */
export async function closedLoop(
  predict: Predict,
  batch: number,
  inFlight: number,
  seconds: number,
): Promise<{ batches: number; cpuMs: number }> {
  const frames = Array.from({ length: batch }, (_, i) => new Uint8Array(FRAME_BYTES).fill(i & 255));
  let batches = 0;
  const cpu0 = mainThreadCpuMs() ?? 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await predict(frames);
        batches++;
      }
    }),
  );
  return { batches, cpuMs: (mainThreadCpuMs() ?? 0) - cpu0 };
}

/** An engine that answers at once in this thread: the harness's own cost. */
const stubPredict: Predict = (frames) => Promise.resolve(frames.map(() => new Float32Array(EMOTION_COUNT)));

async function main(argv: string[]): Promise<void> {
  const program = new Command('bench-handoff')
    .description('Main-thread CPU per frame of the inference hand-off (pool <-> workers)')
    .option('--model <dir>', 'model folder with model.onnx', process.env.MODEL_DIR ?? 'models/emotion')
    .option('--arch <arch>', 'use a random-weight model of this architecture (seed, vgg8, vgg16, vgg32) instead')
    .option('--players <n>', 'simulated players', positiveInt, 300)
    .option('--fps <f>', 'frames per second per player', positive, 5)
    .option('--seconds <s>', 'measuring time per run', positive, 20)
    .option('--workers <n>', 'inference workers', positiveInt, 2)
    .option('--max-batch <n>', 'largest batch', positiveInt, 32)
    .option('--in-flight <n>', 'batches in flight at once (default: one per worker, as the server)', positiveInt)
    .option('--closed <batches>', 'closed loop instead: these batch sizes, e.g. 1,4,32 (main-thread µs per batch)')
    .option('--json', 'print one JSON object as the last line')
    .showHelpAfterError();
  program.parse(argv);
  const opts = program.opts<Options>();
  const shape = {
    players: opts.players,
    fps: opts.fps,
    seconds: opts.seconds,
    workers: opts.workers,
    inFlight: opts.inFlight ?? opts.workers,
  };

  // The harness alone, before and after the pool run (averaged: a shared machine drifts).
  const base1 = opts.closed ? null : await drive(stubPredict, { ...shape, maxBatch: opts.maxBatch });
  let modelDir = resolve(opts.model);
  let temp: string | null = null;
  if (opts.arch) {
    if (!isArchitecture(opts.arch)) program.error(`error: unknown --arch ${opts.arch}`, { exitCode: 2 });
    await initBackend();
    temp = await mkdtemp(join(tmpdir(), 'bench-handoff-'));
    modelDir = join(temp, opts.arch);
    const m = buildArchitecture(opts.arch as Architecture);
    await saveModelFolder(m, modelDir);
    m.dispose();
    await exportOnnx(modelDir);
  }
  const engine = await createEmotionEngine({
    modelDir,
    engine: 'onnx',
    workers: opts.workers,
    maxBatch: opts.maxBatch,
    calibrate: false,
  });
  // Warm-up: first runs of an ORT session are slow.
  await Promise.all(
    Array.from({ length: 4 }, () => engine.predict(Array.from({ length: 32 }, () => new Uint8Array(FRAME_BYTES)))),
  );
  if (opts.closed) {
    const rows = [];
    for (const b of opts.closed.split(',').map(Number)) {
      const r = await closedLoop((f) => engine.predict(f), b, shape.inFlight, opts.seconds);
      const perBatch = (1000 * r.cpuMs) / r.batches;
      rows.push({ batch: b, batches: r.batches, cpuUsPerBatch: perBatch, cpuUsPerFrame: perBatch / b });
      process.stdout.write(
        `closed   batch ${String(b).padStart(3)}: ${r.batches} batches, main-thread cpu ${perBatch.toFixed(1)} µs/batch, ${(perBatch / b).toFixed(1)} µs/frame\n`,
      );
    }
    await engine.dispose();
    if (temp) await rm(temp, { recursive: true, force: true });
    if (opts.json) process.stdout.write(`${JSON.stringify({ engine: engine.name, closed: rows })}\n`);
    return;
  }
  const pool = await drive((f) => engine.predict(f), { ...shape, maxBatch: opts.maxBatch });
  const batches = engine.stats();
  const base2 = await drive(stubPredict, { ...shape, maxBatch: opts.maxBatch });
  const first = base1 ?? base2;
  const base = {
    ...first,
    scored: first.scored + base2.scored,
    cpuMs: first.cpuMs + base2.cpuMs,
    eluActiveMs: first.eluActiveMs + base2.eluActiveMs,
  };
  await engine.dispose();
  if (temp) await rm(temp, { recursive: true, force: true });

  const perFrameUs = (ms: number, n: number): number => (n > 0 ? (ms * 1000) / n : Number.NaN);
  const handoffCpuUs = perFrameUs(pool.cpuMs, pool.scored) - perFrameUs(base.cpuMs, base.scored);
  const handoffEluUs = perFrameUs(pool.eluActiveMs, pool.scored) - perFrameUs(base.eluActiveMs, base.scored);
  const summary = {
    engine: engine.name,
    ...shape,
    maxBatch: opts.maxBatch,
    harness: { ...base, cpuUsPerFrame: perFrameUs(base.cpuMs, base.scored) },
    pool: {
      ...pool,
      cpuUsPerFrame: perFrameUs(pool.cpuMs, pool.scored),
      eluUsPerFrame: perFrameUs(pool.eluActiveMs, pool.scored),
      meanBatch: batches.batches > 0 ? batches.frames / batches.batches : 0,
    },
    handoffCpuUsPerFrame: handoffCpuUs,
    handoffEluUsPerFrame: handoffEluUs,
  };
  const f1 = (x: number): string => x.toFixed(1);
  process.stdout.write(
    [
      `engine   ${engine.name}; ${opts.players} players × ${opts.fps} fps for ${opts.seconds} s, batches ≤ ${opts.maxBatch}`,
      `harness  ${base.scored} frames, main-thread cpu ${f1(summary.harness.cpuUsPerFrame)} µs/frame (stub engine)`,
      `pool     ${pool.scored} scored (${f1(pool.framesPerSecond)}/s), ${pool.stale} stale, ${pool.failed} failed, mean batch ${f1(summary.pool.meanBatch)}, p50 ${f1(pool.p50Ms)} ms, p95 ${f1(pool.p95Ms)} ms`,
      `         main-thread cpu ${f1(summary.pool.cpuUsPerFrame)} µs/frame, event-loop active ${f1(summary.pool.eluUsPerFrame)} µs/frame`,
      `handoff  ${f1(handoffCpuUs)} µs cpu/frame, ${f1(handoffEluUs)} µs event-loop/frame (pool minus harness)`,
      '',
    ].join('\n'),
  );
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
