/**
 * `npm run start:multi` (node --import tsx server/local-cluster.ts): several game-server
 * processes on one machine behind one port. One Node main thread is the ceiling of a node
 * (socket writes, Socket.IO parsing, frame hand-off: docs/capacity.md), so a machine with
 * spare cores runs several.
 *
 * Design (docs/deployment.md, "Several processes on one machine"):
 *  - The processes are ordinary cluster-mode nodes (REDIS_URL + DATABASE_URL): rooms are
 *    reachable by code from any process, MAX_ROOMS / per-IP limits count across processes,
 *    the leaderboard is one PostgreSQL database, SIGTERM drains. All of that already exists
 *    and is tested in server/cluster/; a node:cluster-only variant (@socket.io/cluster-adapter,
 *    no Redis) would broadcast across processes but would have to rebuild rooms-by-code,
 *    shared limits and a shared store over IPC.
 *  - This process is the node:cluster primary and owns the port; it hands each new connection
 *    to the ready process with the fewest connections and keeps a long-polling session on the
 *    process that created it, which it reads from the session id (local-cluster-router.ts;
 *    the processes' side is @socket.io/sticky's setupWorker). A WebSocket connection is passed
 *    as a file descriptor, so its bytes never go through this process.
 *  - TLS is refused: the primary must read the request to route it. Terminate TLS in front.
 *
 * Environment: PROCESSES (default: one per core), plus everything server/main.ts reads.
 * INFERENCE_WORKERS defaults to cores / PROCESSES (at least 1), so the processes' inference
 * threads do not oversubscribe the cores.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import { availableParallelism, hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.ts';
import { routeConnections } from './local-cluster-router.ts';
import { LOCAL_CLUSTER_ENV, READY_MESSAGE } from './local-cluster-worker.ts';

/** How many processes and how many inference threads each gets (pure, for tests). */
export function planProcesses(env: NodeJS.ProcessEnv, cores: number): { processes: number; inferenceWorkers: number } {
  const raw = env.PROCESSES?.trim();
  const processes = raw ? Number(raw) : cores;
  if (!Number.isInteger(processes) || processes < 1 || processes > 64) {
    throw new ConfigError([`PROCESSES must be a whole number from 1 to 64, got "${raw}"`]);
  }
  const fromEnv = env.INFERENCE_WORKERS?.trim();
  const inferenceWorkers = fromEnv ? Number(fromEnv) : Math.max(1, Math.floor(cores / processes));
  return { processes, inferenceWorkers };
}

function fail(message: string): never {
  process.stderr.write(`${message}\nSee docs/deployment.md ("Several processes on one machine").\n`);
  process.exit(2);
}

function main(): void {
  let plan: ReturnType<typeof planProcesses>;
  let config: ReturnType<typeof loadConfig>;
  try {
    plan = planProcesses(process.env, availableParallelism());
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  if (!config.cluster) {
    fail('start:multi runs cluster-mode nodes: set REDIS_URL and DATABASE_URL (one process needs neither: npm start)');
  }
  if (config.tls)
    fail(
      'start:multi does not terminate TLS (the primary reads each request to route it): unset TLS_CERT/TLS_KEY and put TLS in front',
    );

  const say = (msg: string): void => void process.stdout.write(`[start:multi] ${msg}\n`);
  const base =
    process.env.NODE_ID?.trim() ||
    hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 40) ||
    'node';
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./main.ts', import.meta.url)),
    execArgv: process.execArgv.includes('tsx') ? process.execArgv : [...process.execArgv, '--import', 'tsx'],
    // The first chunk of each connection goes over IPC as a Buffer: JSON would turn it into an object.
    serialization: 'advanced',
  });
  const http = createServer();
  const router = routeConnections(http, cluster);

  let stopping = false;
  let generation = 0;
  const fork = (i: number): Worker => {
    // A fresh NODE_ID per start: a crashed process's Redis entries expire on their own (4 s).
    const w = cluster.fork({
      ...process.env,
      [LOCAL_CLUSTER_ENV]: '1',
      NODE_ID: `${base}-p${i}-g${generation++}`,
      INFERENCE_WORKERS: String(plan.inferenceWorkers),
    });
    // Until it says it is ready, a new process gets no connection: with none it would otherwise
    // be the least-loaded choice for every new player while it loads its model.
    w.on('message', (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type !== READY_MESSAGE) return;
      router.ready(w);
      if (!listening && !stopping) listen();
    });
    // A send to a process that has just died fails with ERR_IPC_CHANNEL_CLOSED as an 'error'
    // event; unheard, it would end this process and every other with it.
    w.on('error', (err: Error) => say(`process ${i}: ${err.message}`));
    w.on('exit', (code, signal) => {
      // No process can serve (one process, or all of them restarting): refuse new connections,
      // which clients retry, rather than hand them to a process that drops them.
      if (router.serving() === 0 && listening) {
        listening = false;
        http.close();
      }
      if (stopping) return;
      say(`process ${i} exited (${signal ?? code}); starting another in 1 s`);
      // Not unref()ed: with no process ready the port is closed, and this timer keeps the primary up.
      setTimeout(() => fork(i), 1000);
    });
    return w;
  };
  // The port is open only while a process can serve.
  let listening = false;
  const listen = (): void => {
    listening = true;
    http.listen(config.port, config.host, () => {
      say(
        `${plan.processes} process(es) × ${plan.inferenceWorkers} inference worker(s) behind http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`,
      );
    });
  };
  for (let i = 0; i < plan.processes; i++) fork(i);

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      say(`second ${signal}: stopping now`);
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    say(`${signal}: each process finishes its rounds (and drains on SIGTERM), then exits`);
    if (listening) http.close();
    // Ctrl-C already reached every process of the terminal's group; a second SIGINT would
    // make them quit at once. SIGTERM (an orchestrator's stop) reaches this process only.
    if (signal === 'SIGTERM') for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (cluster.isPrimary && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
