/**
 * One cluster node as its own process, for three-nodes.test.ts: the application with the
 * integration tests' engine and short game timings, PostgreSQL in the test's schema, Redis
 * under the test's key prefix. Tells the parent its port over IPC; SIGTERM drains as
 * server/main.ts does in cluster mode, then exits 0.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApplication } from '../../../server/app.ts';
import { ClusterNode } from '../../../server/cluster/cluster-node.ts';
import { createLogger } from '../../../server/logging.ts';
import { createMetrics } from '../../../server/metrics.ts';
import { createEmotionEngine } from '../../../server/ml/engine/create-engine.ts';
import { openPgLeaderboardStore } from '../../../server/store/pg-store.ts';
import { markerEngine, SHORT_LIMITS, SHORT_TIMINGS, shippedModelDir } from '../../helpers/server-harness.ts';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`node-process: ${name} is not set`);
  return v;
}

const nodeId = need('ARENA_NODE_ID');
const log = createLogger(process.env.ARENA_NODE_LOG_LEVEL ?? 'warn').child({ node: nodeId });
const dir = shippedModelDir();
// ARENA_NODE_ENGINE=marker: the tests' marker engine, for tests that need a node, not its model (quicker to start).
const engine =
  dir && process.env.ARENA_NODE_ENGINE !== 'marker'
    ? await createEmotionEngine({ modelDir: dir, workers: 1 })
    : markerEngine();
const store = await openPgLeaderboardStore({
  connectionString: need('ARENA_TEST_DATABASE_URL'),
  schema: need('ARENA_TEST_SCHEMA'),
  maxConnections: 3,
});
const metrics = createMetrics();
const cluster = await ClusterNode.start({
  redisUrl: need('REDIS_URL'),
  prefix: need('ARENA_TEST_PREFIX'),
  nodeId,
  log,
  roomCap: 100,
  maxConnectionsPerIp: 1000,
  roomsPerIpPerMinute: 1000,
  pingDatabase: () => store.ping(),
  registry: metrics.registry,
});
const http = createServer();
const application = createApplication(http, {
  engine,
  store,
  cluster,
  metrics,
  log,
  timings: SHORT_TIMINGS,
  settingsLimits: SHORT_LIMITS,
  serveClient: false,
  maxConnectionsPerIp: 1000,
  roomsPerIpPerMinute: 1000,
});
await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
process.send?.({ type: 'ready', port: (http.address() as AddressInfo).port, engine: engine.name });

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    const drained = await cluster.drain(Number(process.env.ARENA_DRAIN_TIMEOUT_MS ?? 30_000));
    process.send?.({ type: 'drained', ...drained });
    await application.shutdown();
    await cluster.close();
    await store.close();
    await engine.dispose();
    process.exit(0);
  })().catch((err: unknown) => {
    log.error({ err }, 'drain failed');
    process.exit(1);
  });
});
