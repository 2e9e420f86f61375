/**
 * npm run bench:capacity -- [--players 300,450,600] [--configs single,cluster1,cluster2,cluster3]
 *                           [--duration 20] [--fps 5] [--redis URL] [--database URL]
 *
 * One machine's capacity table (docs/capacity.md): for each server configuration, start it,
 * drive it with `npm run loadtest -- --url` at each player count (bots on the same machine),
 * stop it, and print aggregate scored frames/s, p95 send → result and the share dropped as a
 * markdown table.
 *   single    one process, no Redis (npm start)
 *   clusterN  start:multi with PROCESSES=N: N cluster-mode processes behind one port
 *             (Redis + PostgreSQL; cluster1 against single is the cost of cluster mode)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import pg from 'pg';
import { PROJECT_ROOT } from '../training/data/dataset.ts';
import { freePort } from './free-port.ts';
import type { LoadtestSummary } from './loadtest-stats.ts';

interface Options {
  players: number[];
  configs: string[];
  duration: number;
  fps: number;
  redis: string;
  database: string;
  schema: string;
}

const intList = (v: string): number[] =>
  v.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a comma-separated list of positive integers');
    return n;
  });
const configList = (v: string): string[] => {
  const list = v.split(',').map((x) => x.trim());
  for (const c of list) {
    if (!/^(single|cluster[1-9])$/.test(c))
      throw new InvalidArgumentError(`unknown config "${c}" (single, cluster1..9)`);
  }
  return list;
};

async function waitReady(base: string, child: ChildProcess, processes: number | null): Promise<void> {
  const end = Date.now() + 300_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const r = await fetch(new URL('/healthz', base), {
        headers: { connection: 'close' },
        signal: AbortSignal.timeout(3000),
      });
      const h = (await r.json()) as { cluster?: { nodesAlive?: number } };
      if (r.ok && (processes === null || h.cluster?.nodesAlive === processes)) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`server at ${base} not ready after 300 s`);
}

function run(cmd: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, cmd, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.on('exit', (code) => resolve({ code, out }));
  });
}

interface Row {
  config: string;
  players: number;
  summary: LoadtestSummary | null;
  error?: string;
}

async function measureConfig(config: string, o: Options, dataDir: string): Promise<Row[]> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const processes = config === 'single' ? null : Number(config.slice('cluster'.length));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    MODEL_WATCH: '0',
    LOG_LEVEL: 'warn',
    DATA_DIR: join(dataDir, config),
    MAX_CONNECTIONS_PER_IP: '10000',
    ROOMS_PER_IP_PER_MINUTE: '10000',
    DRAIN_TIMEOUT_MS: '1000',
  };
  if (processes !== null) {
    Object.assign(env, {
      PROCESSES: String(processes),
      REDIS_URL: o.redis,
      DATABASE_URL: `${o.database}?options=-c%20search_path%3D${o.schema}`,
    });
  } else {
    for (const k of ['REDIS_URL', 'DATABASE_URL', 'PROCESSES']) delete env[k];
  }
  const entry = processes === null ? 'server/main.ts' : 'server/local-cluster.ts';
  const server = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: PROJECT_ROOT, env, stdio: 'ignore' });
  const rows: Row[] = [];
  try {
    await waitReady(base, server, processes);
    // The server and, in cluster mode, the processes it forked: their CPU per frame.
    const pids = server.pid ? [server.pid, ...(await childPids(server.pid))] : [];
    for (const players of o.players) {
      const r = await run(
        [
          '--import',
          'tsx',
          'bench/loadtest.ts',
          '--url',
          base,
          '--players',
          String(players),
          '--rooms',
          String(Math.ceil(players / 8)),
          '--fps',
          String(o.fps),
          '--duration',
          String(o.duration),
          ...pids.flatMap((p) => ['--server-pid', String(p)]),
          '--json',
        ],
        process.env,
      );
      const last = r.out.trim().split('\n').at(-1) ?? '';
      try {
        rows.push({ config, players, summary: JSON.parse(last) as LoadtestSummary });
      } catch {
        rows.push({ config, players, summary: null, error: `loadtest exited ${r.code}: ${last.slice(0, 200)}` });
      }
      process.stderr.write(`${config} ${players} players: ${last.slice(0, 160)}\n`);
    }
  } finally {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  return rows;
}

/** Child process ids of `pid` (Linux: /proc/<pid>/task/<tid>/children). */
async function childPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  try {
    for (const tid of await readdir(`/proc/${pid}/task`)) {
      const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8');
      for (const c of text.trim().split(/\s+/)) if (c) out.push(Number(c));
    }
  } catch {
    /* not Linux, or gone: no CPU figures */
  }
  return out;
}

const LABEL: Record<string, string> = { single: 'single node (1 process)' };
const label = (c: string): string => LABEL[c] ?? `cluster mode, ${c.slice('cluster'.length)} process(es)`;

export function formatCapacityTable(rows: Row[], fps: number): string {
  const lines = [
    `| server | players × ${fps} fps | offered frames/s | scored frames/s | dropped | p50 ms | p95 ms | p95 ≤ 100 ms | main-thread CPU ms/frame |`,
    '|---|---:|---:|---:|---:|---:|---:|:---:|---:|',
  ];
  for (const r of rows) {
    const s = r.summary;
    if (!s) {
      lines.push(
        `| ${label(r.config)} | ${r.players} | ${r.players * fps} | – | – | – | – | ${r.error ?? 'failed'} | – |`,
      );
      continue;
    }
    const dropped = s.framesSent > 0 ? `${((100 * s.framesDropped) / s.framesSent).toFixed(0)} %` : '–';
    lines.push(
      `| ${label(r.config)} | ${r.players} | ${r.players * fps} | ${s.scoredPerSec} | ${dropped} | ${s.p50Ms} | ${s.p95Ms} | ${s.p95Ms <= 100 ? 'yes' : 'no'} | ${s.cpuPerFrameMs?.serverMainMs ?? '–'} |`,
    );
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('bench-capacity')
    .option('--players <list>', 'player counts', intList, [300, 450, 600])
    .option('--configs <list>', 'single, cluster1..cluster9', configList, [
      'single',
      'cluster1',
      'cluster2',
      'cluster3',
    ])
    .option('--duration <s>', 'seconds of load per point', (v) => Number(v), 20)
    .option('--fps <f>', 'frames per second per player', (v) => Number(v), 5)
    .option('--redis <url>', 'Redis for cluster mode (own database number)', 'redis://127.0.0.1:6379/10')
    .option('--database <url>', 'PostgreSQL for cluster mode', 'postgres://postgres@127.0.0.1:5432/test')
    .option('--schema <name>', 'PostgreSQL schema for the leaderboard', 'bench_capacity');
  program.parse(argv);
  const o = program.opts<Options>();
  if (o.configs.some((c) => c !== 'single')) {
    const db = new pg.Client({ connectionString: o.database });
    await db.connect();
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${o.schema}`);
    await db.end();
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-capacity-'));
  const rows: Row[] = [];
  const t0 = Date.now();
  try {
    for (const c of o.configs) rows.push(...(await measureConfig(c, o, dataDir)));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(
    `${formatCapacityTable(rows, o.fps)}\n\n${o.duration} s per point, bots on this machine; ${Math.round((Date.now() - t0) / 1000)} s in all.\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
