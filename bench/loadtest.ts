/**
 * npm run loadtest -- --players N --rooms R --fps F --duration S [--url URL] [--model DIR]
 *                     [--bot-workers W] [--store memory|sqlite] [--donate] [--data-dir DIR]
 *                     [--server-pid PID…] [--json]
 *
 * Starts the game server as a child process (unless --url), then bots in worker
 * threads join rooms, play real games and stream real FER2013 faces. Reports
 * frames sent/scored/dropped, send→result latency, disconnects and the server's
 * CPU and peak RSS (sampled from /proc/<pid>), and CPU per scored frame of the server's
 * main thread, its other threads and the load generator itself (the servers' figures need a
 * child server or --server-pid for servers started elsewhere). With --json the last line is JSON.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { initBackend } from '../server/ml/runtime/backend.ts';
import { startTsWorker } from '../server/util/ts-worker.ts';
import { FRAME_BYTES } from '../shared/frame.ts';
import {
  LATEST_PROTOCOL_VERSION,
  MAX_PLAYERS_PER_ROOM,
  PROTOCOL_VERSIONS,
  type ProtocolVersion,
  protocolVersionNamed,
  SERVER_FRAME_RATE_LIMIT,
} from '../shared/protocol.ts';
import { PROJECT_ROOT, resolveDataPath, selectUsage } from '../training/data/dataset.ts';
import { readFer2013 } from '../training/data/fer2013-reader.ts';
import { buildArchitecture } from '../training/model/architectures.ts';
import { saveModelFolder } from '../training/model/save-model.ts';
import { exportOnnx } from '../training/onnx/export.ts';
import { freePort } from './free-port.ts';
import type { BotWorkerInit, BotWorkerMessage } from './loadtest-bot-worker.ts';
import {
  type BotCounters,
  type CpuSpent,
  formatSummary,
  mergeCounters,
  parseProcSample,
  parseStatCpuS,
  type ServerSample,
  summarise,
} from './loadtest-stats.ts';

const posInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const posNum = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const url = (v: string): string => {
  try {
    const u = new URL(v);
    if (!/^https?:$/.test(u.protocol)) throw new Error();
    return u.href;
  } catch {
    throw new InvalidArgumentError('must be an http(s) URL, e.g. http://localhost:3000');
  }
};

const urlList = (v: string, previous: string[] = []): string[] => [
  ...previous,
  ...v
    .split(',')
    .filter((u) => u.trim() !== '')
    .map((u) => url(u.trim())),
];

interface Options {
  players: number;
  rooms: number;
  fps: number;
  duration: number;
  /** Servers already running: one, or the nodes of a cluster. */
  url?: string[];
  model?: string;
  botWorkers: number;
  store: 'memory' | 'sqlite';
  donate?: boolean;
  protocol: ProtocolVersion;
  dataDir?: string;
  serverPid?: number[];
  json?: boolean;
}

/** CPU seconds so far of each server process (all threads, and its main thread) and of this process. */
async function readCpu(pids: readonly number[]): Promise<CpuSpent | null> {
  let serverMainS = 0;
  let serverTotalS = 0;
  try {
    for (const pid of pids) {
      serverTotalS += parseStatCpuS(await readFile(`/proc/${pid}/stat`, 'utf8'));
      serverMainS += parseStatCpuS(await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
    }
  } catch {
    return null; // a server gone, or not on this machine
  }
  // This process and its bot worker threads.
  const own = process.cpuUsage();
  return { serverMainS, serverTotalS, loadgenS: (own.user + own.system) / 1e6 };
}

async function waitHealthy(
  base: string,
  child: ChildProcess | null,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} during start-up`);
    try {
      const r = await fetch(new URL('/healthz', base));
      if (r.ok) return (await r.json()) as Record<string, unknown>;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`server at ${base} not healthy after ${timeoutMs / 1000} s (${last})`);
}

/** Faces to stream: PublicTest rows of the real file when present, else the committed fixture. */
async function loadFaces(): Promise<{ faces: Uint8Array; source: string }> {
  const data = resolveDataPath();
  if (data && existsSync(data)) {
    const rows = selectUsage(await readFer2013(data), 'PublicTest');
    const n = Math.min(rows.count, 512);
    return { faces: rows.images.slice(0, n * FRAME_BYTES), source: `${data} (PublicTest, ${n} faces)` };
  }
  const fixture = join(PROJECT_ROOT, 'test/fixtures/fer2013-sample.csv');
  const rows = await readFer2013(fixture);
  return { faces: rows.images, source: `${fixture} (${rows.count} faces)` };
}

async function main(): Promise<void> {
  const program: Command = new Command()
    .name('loadtest')
    .description('Socket.IO load test: bots play real games and stream real faces')
    .requiredOption('--players <n>', 'total players (bots)', posInt)
    .requiredOption('--rooms <n>', 'rooms to spread them over', posInt)
    .option('--fps <f>', 'frames per second per player', posNum, 5)
    .option('--duration <s>', 'seconds of streaming', posNum, 30)
    .option(
      '--url <url>',
      'an already running server, or several (comma-separated or repeated: cluster nodes; the bots spread over them); default: start one as a child process',
      urlList,
    )
    .option(
      '--model <dir>',
      'model folder for the child server (default: $MODEL_DIR, else models/emotion, else a random vgg16)',
    )
    .option('--bot-workers <n>', 'worker threads running bots', posInt, Math.max(1, availableParallelism()))
    .option(
      '--store <kind>',
      "the started server's store: memory or sqlite (in a temporary folder)",
      (v: string) => {
        if (v !== 'memory' && v !== 'sqlite') throw new InvalidArgumentError('must be memory or sqlite');
        return v;
      },
      'memory',
    )
    .option('--donate', 'every bot opts in to frame donation (measures donation writes on the frame path)')
    .option(
      '--data-dir <dir>',
      "the started server's DATA_DIR, kept after the run (e.g. for `npm run donations -- stats --db <dir>/leaderboard.sqlite`); default: a temporary folder, removed",
    )
    .option(
      '--protocol <v>',
      "the bots' wire protocol: 4 (as 3, with room patches riding on frame results), 3 (each frame one binary message, one frame:result per frame), 2 (frames as Socket.IO events with an attachment) or 1 (ack + result, older clients)",
      (v: string): ProtocolVersion => {
        const version = protocolVersionNamed(v);
        if (version === undefined) throw new InvalidArgumentError(`must be one of ${PROTOCOL_VERSIONS.join(', ')}`);
        return version;
      },
      LATEST_PROTOCOL_VERSION,
    )
    .option(
      '--server-pid <pid>',
      'with --url: the process id of a server on this machine (repeatable), for its CPU per frame',
      (v: string, prev: number[] = []) => [...prev, posInt(v)],
    )
    .option('--json', 'print one JSON object as the last line')
    .showHelpAfterError();
  program.parse();
  const opts = program.opts<Options>();
  if (opts.serverPid && !opts.url) program.error('error: --server-pid goes with --url', { exitCode: 2 });
  if (opts.rooms > opts.players) program.error('error: --rooms must not exceed --players', { exitCode: 2 });
  const perRoom = Math.ceil(opts.players / opts.rooms);
  if (perRoom > MAX_PLAYERS_PER_ROOM) {
    program.error(`error: ${perRoom} players per room exceeds the room limit of ${MAX_PLAYERS_PER_ROOM}; add --rooms`, {
      exitCode: 2,
    });
  }
  const log = (s: string) => (opts.json ? console.error(s) : console.log(s));
  if (opts.fps > SERVER_FRAME_RATE_LIMIT)
    log(
      `note: --fps ${opts.fps} exceeds the server's ${SERVER_FRAME_RATE_LIMIT}/s limit per player; expect RATE_LIMITED rejections`,
    );

  const { faces, source } = await loadFaces();
  log(`faces    ${source}`);

  let base = opts.url?.[0] ?? '';
  let child: ChildProcess | null = null;
  let tempRoot: string | null = null;
  const samples: ServerSample[] = [];
  let sampler: NodeJS.Timeout | null = null;
  try {
    if (!opts.url) {
      let modelDir = resolve(opts.model ?? process.env.MODEL_DIR ?? join(PROJECT_ROOT, 'models/emotion'));
      tempRoot = await mkdtemp(join(tmpdir(), 'loadtest-'));
      if (!existsSync(join(modelDir, 'model.json'))) {
        if (opts.model) program.error(`error: --model ${opts.model} has no model.json`, { exitCode: 2 });
        await initBackend();
        modelDir = join(tempRoot, 'vgg16');
        const m = buildArchitecture('vgg16');
        await saveModelFolder(m, modelDir);
        m.dispose();
        await exportOnnx(modelDir);
        log(`model    no trained model found: random-weight vgg16 (same inference cost) in ${modelDir}`);
      }
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'server/main.ts')], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          MODEL_DIR: modelDir,
          MODEL_WATCH: '0',
          DATA_DIR: opts.dataDir ? resolve(opts.dataDir) : join(tempRoot, 'data'),
          LEADERBOARD_STORE: opts.store,
          LOG_LEVEL: 'warn',
          // All bots come from one address.
          MAX_CONNECTIONS_PER_IP: '10000',
          ROOMS_PER_IP_PER_MINUTE: '10000',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    }
    const health = await waitHealthy(base, child, 90_000);
    for (const other of opts.url?.slice(1) ?? []) await waitHealthy(other, null, 90_000);
    const urls = opts.url ?? [base];
    log(
      `server   ${urls.join(', ')} ${child ? `(child pid ${child.pid})` : '(external)'} engine: ${String(health.engine ?? '?')}`,
    );

    const pid = child?.pid;
    if (pid) {
      const ticks = 100; // USER_HZ on Linux
      const t0 = performance.now();
      const sample = async () => {
        try {
          const [stat, status] = await Promise.all([
            readFile(`/proc/${pid}/stat`, 'utf8'),
            readFile(`/proc/${pid}/status`, 'utf8'),
          ]);
          samples.push({ t: (performance.now() - t0) / 1000, ...parseProcSample(stat, status, ticks) });
        } catch {
          /* process gone */
        }
      };
      await sample();
      sampler = setInterval(() => void sample(), 500);
    }

    const cpuPids = pid ? [pid] : (opts.serverPid ?? []);
    const cpuBefore = await readCpu(cpuPids);
    // Rooms round-robin over bot workers.
    const rooms = Array.from(
      { length: opts.rooms },
      (_, r) => Math.floor(opts.players / opts.rooms) + (r < opts.players % opts.rooms ? 1 : 0),
    );
    const nWorkers = Math.min(opts.botWorkers, opts.rooms);
    const assignments: number[][] = Array.from({ length: nWorkers }, () => []);
    rooms.forEach((p, r) => {
      assignments[r % nWorkers]?.push(p);
    });
    log(
      `bots     ${opts.players} players in ${opts.rooms} rooms at ${opts.fps} fps for ${opts.duration} s, ${nWorkers} bot worker(s), protocol ${opts.protocol}`,
    );
    const results = await Promise.all(
      assignments.map(
        (mine, w) =>
          new Promise<BotCounters>((resolveW, rejectW) => {
            const init: BotWorkerInit = {
              urls,
              rooms: mine,
              fps: opts.fps,
              durationMs: opts.duration * 1000,
              faces,
              workerIndex: w,
              donate: opts.donate ?? false,
              protocol: opts.protocol,
            };
            const worker = startTsWorker(new URL('./loadtest-bot-worker.ts', import.meta.url), { workerData: init });
            worker.on('message', (m: BotWorkerMessage) => {
              if (m.type === 'done') {
                resolveW(m.counters);
                void worker.terminate();
              } else if (m.type === 'fatal') {
                rejectW(new Error(`bot worker ${w}: ${m.message}`));
                void worker.terminate();
              }
            });
            worker.on('error', (err) => rejectW(err));
            // A worker that ends without reporting (settled promises ignore a later call).
            worker.on('exit', (code) => rejectW(new Error(`bot worker ${w} exited (code ${code}) without a result`)));
          }),
      ),
    );
    const cpuAfter = await readCpu(cpuPids);
    if (sampler) clearInterval(sampler);
    sampler = null;
    const cpuSpent: CpuSpent | null =
      cpuBefore && cpuAfter && cpuPids.length > 0
        ? {
            serverMainS: cpuAfter.serverMainS - cpuBefore.serverMainS,
            serverTotalS: cpuAfter.serverTotalS - cpuBefore.serverTotalS,
            loadgenS: cpuAfter.loadgenS - cpuBefore.loadgenS,
          }
        : null;
    const summary = summarise(
      mergeCounters(results),
      { players: opts.players, rooms: opts.rooms, fps: opts.fps, durationS: opts.duration },
      samples,
      cpuSpent,
    );
    log('');
    log(formatSummary(summary));
    if (opts.json) console.log(JSON.stringify({ ...summary, engine: health.engine ?? null, url: base, urls }));
  } finally {
    if (sampler) clearInterval(sampler);
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`loadtest failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
