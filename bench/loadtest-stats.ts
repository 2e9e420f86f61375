/** Pure helpers for the load test: merging bot-worker counters and summarising latencies. */

export interface BotCounters {
  framesSent: number;
  framesScored: number;
  /** Frames the server refused in its ack (outside a round at a phase edge, rate limit…), by error code. */
  framesRejected: Record<string, number>;
  disconnects: number;
  connectErrors: number;
  gamesStarted: number;
  roundsSeen: number;
  /** frame:send → own frame:result, ms. */
  latencies: number[];
}

export function emptyCounters(): BotCounters {
  return {
    framesSent: 0,
    framesScored: 0,
    framesRejected: {},
    disconnects: 0,
    connectErrors: 0,
    gamesStarted: 0,
    roundsSeen: 0,
    latencies: [],
  };
}

export function mergeCounters(parts: readonly BotCounters[]): BotCounters {
  const out = emptyCounters();
  for (const p of parts) {
    out.framesSent += p.framesSent;
    out.framesScored += p.framesScored;
    out.disconnects += p.disconnects;
    out.connectErrors += p.connectErrors;
    out.gamesStarted += p.gamesStarted;
    out.roundsSeen += p.roundsSeen;
    for (const [k, v] of Object.entries(p.framesRejected)) out.framesRejected[k] = (out.framesRejected[k] ?? 0) + v;
    for (const l of p.latencies) out.latencies.push(l);
  }
  return out;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export interface ServerSample {
  /** Seconds since the first sample. */
  t: number;
  /** Cumulative CPU seconds (user + system, all threads). */
  cpuS: number;
  rssMb: number;
}

/** Parses /proc/<pid>/stat utime+stime (clock ticks) and /proc/<pid>/status VmRSS. */
export function parseProcSample(stat: string, status: string, ticksPerSecond = 100): { cpuS: number; rssMb: number } {
  const rss = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return { cpuS: parseStatCpuS(stat, ticksPerSecond), rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

/** utime + stime in seconds of one stat line (/proc/<pid>/stat or /proc/<pid>/task/<tid>/stat). */
export function parseStatCpuS(stat: string, ticksPerSecond = 100): number {
  // The command name (field 2) may contain spaces; fields after the closing paren are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / ticksPerSecond;
}

/** CPU seconds spent while the bots ran: the servers' main threads, all their threads, and the load generator. */
export interface CpuSpent {
  serverMainS: number;
  serverTotalS: number;
  loadgenS: number;
}

/**
 * Milliseconds of CPU per scored frame. The main thread is what saturates a node (socket
 * parsing and writes, game logic, the hand-off to the inference workers), so it is reported
 * apart; "other" is the inference workers and Node's helper threads; the load generator shares
 * the machine, so its cost per frame says how much of the machine the players themselves took.
 */
export interface CpuPerFrame {
  serverMainMs: number;
  serverOtherMs: number;
  loadgenMs: number;
}

export function cpuPerFrame(spent: CpuSpent, framesScored: number): CpuPerFrame | null {
  if (framesScored <= 0) return null;
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  const per = (s: number) => r3((s * 1000) / framesScored);
  return {
    serverMainMs: per(spent.serverMainS),
    serverOtherMs: per(Math.max(0, spent.serverTotalS - spent.serverMainS)),
    loadgenMs: per(spent.loadgenS),
  };
}

export interface LoadtestSummary {
  players: number;
  rooms: number;
  fps: number;
  durationS: number;
  framesSent: number;
  framesScored: number;
  /** Sent but never answered: superseded in the server's newest-frame queue, or lost. */
  framesDropped: number;
  framesRejected: Record<string, number>;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  disconnects: number;
  connectErrors: number;
  serverCpuPct: number | null;
  serverPeakRssMb: number | null;
  scoredPerSec: number;
  /** CPU per scored frame while the bots ran; server figures need a child server or --server-pid. */
  cpuPerFrameMs: CpuPerFrame | null;
}

export function summarise(
  c: BotCounters,
  cfg: { players: number; rooms: number; fps: number; durationS: number },
  server: ServerSample[],
  cpuSpent: CpuSpent | null = null,
): LoadtestSummary {
  const lat = [...c.latencies].sort((a, b) => a - b);
  const rejected = Object.values(c.framesRejected).reduce((a, b) => a + b, 0);
  const first = server[0];
  const last = server[server.length - 1];
  const cpu = first && last && last.t > first.t ? (100 * (last.cpuS - first.cpuS)) / (last.t - first.t) : null;
  const peak = server.length ? Math.max(...server.map((s) => s.rssMb)) : null;
  const r1 = (v: number) => Math.round(v * 10) / 10;
  return {
    ...cfg,
    framesSent: c.framesSent,
    framesScored: c.framesScored,
    framesDropped: Math.max(0, c.framesSent - c.framesScored - rejected),
    framesRejected: c.framesRejected,
    p50Ms: r1(percentile(lat, 50)),
    p95Ms: r1(percentile(lat, 95)),
    p99Ms: r1(percentile(lat, 99)),
    disconnects: c.disconnects,
    connectErrors: c.connectErrors,
    serverCpuPct: cpu === null ? null : r1(cpu),
    serverPeakRssMb: peak === null || !Number.isFinite(peak) ? null : r1(peak),
    scoredPerSec: r1(c.framesScored / cfg.durationS),
    cpuPerFrameMs: cpuSpent ? cpuPerFrame(cpuSpent, c.framesScored) : null,
  };
}

export function formatSummary(s: LoadtestSummary): string {
  const rows: [string, string][] = [
    ['players / rooms / fps', `${s.players} / ${s.rooms} / ${s.fps}`],
    ['duration', `${s.durationS} s`],
    ['frames sent', String(s.framesSent)],
    ['frames scored', `${s.framesScored} (${s.scoredPerSec}/s)`],
    ['frames dropped', `${s.framesDropped} (sent, never answered: superseded or lost)`],
    ['frames rejected', Object.keys(s.framesRejected).length ? JSON.stringify(s.framesRejected) : '0'],
    ['latency p50/p95/p99', `${s.p50Ms} / ${s.p95Ms} / ${s.p99Ms} ms (send → own frame:result)`],
    ['disconnects', `${s.disconnects} (connect errors ${s.connectErrors})`],
    ['server CPU', s.serverCpuPct === null ? 'n/a (--url)' : `${s.serverCpuPct}% of one core`],
    ['server peak RSS', s.serverPeakRssMb === null ? 'n/a (--url)' : `${s.serverPeakRssMb} MB`],
    [
      'CPU per scored frame',
      s.cpuPerFrameMs
        ? `server main thread ${s.cpuPerFrameMs.serverMainMs} ms, server other threads ${s.cpuPerFrameMs.serverOtherMs} ms, load generator ${s.cpuPerFrameMs.loadgenMs} ms`
        : 'n/a (--url without --server-pid)',
    ],
  ];
  return rows.map(([k, v]) => `${k.padEnd(22)}${v}`).join('\n');
}
