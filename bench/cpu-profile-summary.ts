/**
 * node --import tsx bench/cpu-profile-summary.ts <dir-or-.cpuprofile>... [--top 12]
 *
 * Self time of `node --cpu-prof` profiles by category (socket writes, worker hand-off,
 * Socket.IO / engine.io / ws parsing, GC, ...), as a markdown table per profile. A folder
 * stands for the .cpuprofile files in it (one per thread: CPU.<date>.<time>.<pid>.<thread>.<n>;
 * thread 0 is the main thread; inference workers are recognised by engine-worker.ts in their
 * stacks and summed). See docs/capacity.md.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Ordered: the first rule that matches names the category. */
const RULES: [string, (f: CallFrame) => boolean][] = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['GC', (f) => f.functionName === '(garbage collector)'],
  [
    'socket writes (writev / write)',
    (f) =>
      /^(writev|writeBuffer|writeUtf8String|writeLatin1String|writevGeneric|writeGeneric|handleWriteReq)$/.test(
        f.functionName,
      ),
  ],
  ['worker hand-off: postMessage', (f) => f.functionName === 'postMessage' || /internal\/worker\/io/.test(f.url)],
  ['worker hand-off: pool.ts / frame-lane.ts', (f) => /ml\/engine\/(frame-lane|pool)\.ts/.test(f.url)],
  ['liveness features (server/game/liveness*)', (f) => /server\/game\/liveness/.test(f.url)],
  ['start-up: module loading', (f) => /node:internal\/(modules|deps\/cjs-module-lexer|source_map)/.test(f.url)],
  ['Socket.IO / engine.io parser', (f) => /(socket\.io-parser|engine\.io-parser)/.test(f.url)],
  ['ws (WebSocket frames)', (f) => /node_modules\/ws\//.test(f.url)],
  ['Socket.IO / engine.io server', (f) => /node_modules\/(socket\.io|engine\.io|socket\.io-adapter)\//.test(f.url)],
  ['Redis (ioredis, adapter)', (f) => /node_modules\/(ioredis|@socket\.io\/redis-adapter|@ioredis)\//.test(f.url)],
  ['game server code', (f) => /\/(server|shared)\//.test(f.url) && !/node_modules/.test(f.url)],
  ['other packages', (f) => /node_modules/.test(f.url)],
  ['(program) / native', (f) => f.functionName === '(program)' || f.url === ''],
  ['Node internals', () => true],
];

export function categorise(f: CallFrame): string {
  for (const [name, test] of RULES) if (test(f)) return name;
  return 'Node internals';
}

/** Self time (ms) per category. */
export function selfTimeByCategory(p: CpuProfile): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const out = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const f = byId.get(p.samples[i] as number);
    if (!f) continue;
    const c = categorise(f);
    out.set(c, (out.get(c) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  return out;
}

function isInferenceWorker(p: CpuProfile): boolean {
  return p.nodes.some((n) => /ml\/engine\/engine-worker\.ts/.test(n.callFrame.url));
}

function filesOf(arg: string): string[] {
  if (!statSync(arg).isDirectory()) return [arg];
  return readdirSync(arg)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(arg, f));
}

export function formatTable(title: string, times: Map<string, number>, wallMs: number): string {
  const busy = [...times].filter(([k]) => k !== 'idle').reduce((s, [, v]) => s + v, 0);
  const rows = [...times].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1]);
  const lines = [
    `### ${title}`,
    '',
    `wall ${(wallMs / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(1)} s (${((100 * busy) / wallMs).toFixed(0)} %), idle ${((times.get('idle') ?? 0) / 1000).toFixed(1)} s`,
    '',
    '| self time | s | % of busy |',
    '|---|---:|---:|',
    ...rows.map(([k, v]) => `| ${k} | ${(v / 1000).toFixed(2)} | ${((100 * v) / busy).toFixed(1)} |`),
    '',
  ];
  return lines.join('\n');
}

function main(args: string[]): void {
  const files = args.filter((a) => !a.startsWith('--')).flatMap(filesOf);
  if (files.length === 0) {
    process.stderr.write('usage: cpu-profile-summary.ts <dir-or-.cpuprofile>...\n');
    process.exit(2);
  }
  const out: string[] = [];
  const workers = new Map<string, number>();
  let workersWall = 0;
  for (const file of files) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const times = selfTimeByCategory(p);
    const wall = (p.endTime - p.startTime) / 1000;
    if (isInferenceWorker(p)) {
      for (const [k, v] of times) workers.set(k, (workers.get(k) ?? 0) + v);
      workersWall += wall;
    } else {
      // Thread 0 of the process is the main thread; others are Node's helpers (tsx's loader, pino, ...).
      const main = /\.0\.\d+\.cpuprofile$/.test(basename(file));
      out.push(formatTable(`${main ? 'main thread' : 'other thread'} (${basename(file)})`, times, wall));
    }
  }
  if (workersWall > 0) out.push(formatTable('inference workers (all, summed)', workers, workersWall));
  process.stdout.write(`${out.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
