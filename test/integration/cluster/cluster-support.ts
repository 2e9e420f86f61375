/** Cluster test helpers: nodes on the test Redis and a PostgreSQL schema of their own, and bot shortcuts. */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { AppDeps } from '../../../server/app.ts';
import { ClusterNode, type ClusterOptions } from '../../../server/cluster/cluster-node.ts';
import { Donations } from '../../../server/donations/donations.ts';
import { createSystemClock } from '../../../server/game/clock.ts';
import { silentLogger } from '../../../server/logging.ts';
import { createMetrics } from '../../../server/metrics.ts';
import type { EmotionEngine } from '../../../server/ml/engine/types.ts';
import { openPgDonationStore, type PgDonationStore } from '../../../server/store/donation-pg-store.ts';
import { openPgLeaderboardStore } from '../../../server/store/pg-store.ts';
import type { JoinResult } from '../../../shared/protocol.ts';
import { TEST_DATABASE_URL } from '../../helpers/pg.ts';
import { ask, type Bot, connectBot, newToken, startTestServer, type TestServer } from '../../helpers/server-harness.ts';

export const TEST_REDIS_URL = process.env.ARENA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  stderr: string[];
  exited: Promise<number | null>;
}

/**
 * One cluster node as its own process (node-process.ts, the marker engine), for tests that kill
 * a node with SIGKILL; the caller kills it when done.
 */
export function forkNodeProcess(options: { nodeId: string; prefix: string; schema: string }): Promise<NodeProcess> {
  const child = fork(join(import.meta.dirname, 'node-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      ARENA_NODE_ID: options.nodeId,
      ARENA_NODE_ENGINE: 'marker',
      REDIS_URL: TEST_REDIS_URL,
      ARENA_TEST_PREFIX: options.prefix,
      ARENA_TEST_SCHEMA: options.schema,
      ARENA_TEST_DATABASE_URL: TEST_DATABASE_URL,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${options.nodeId} did not start: ${stderr.join('')}`));
    }, 120_000);
    child.on('message', (m: { type: string; port: number }) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${m.port}`, child, stderr, exited });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node ${options.nodeId} exited with ${code}: ${stderr.join('')}`));
    });
  });
}

/** A Redis key prefix no other test run uses (runs share the machine's Redis). */
export function newTestPrefix(label: string): string {
  return `arena-test:${label}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
}

export interface InProcessNode {
  url: string;
  cluster: ClusterNode;
  server: TestServer;
  /** With `donations`: the node's donation service, on the PostgreSQL table all nodes share (as main.ts wires it). */
  donations: Donations | null;
  close(): Promise<void>;
}

/** One cluster node inside the test process (the three-node test runs real processes instead). */
export async function startInProcessNode(options: {
  engine: EmotionEngine;
  prefix: string;
  schema: string;
  nodeId: string;
  cluster?: Partial<ClusterOptions>;
  app?: Partial<AppDeps>;
  /** Collect donated crops into the schema's donated_crops table, recording this model version. */
  donations?: { modelVersion: string };
}): Promise<InProcessNode> {
  const store = await openPgLeaderboardStore({ connectionString: TEST_DATABASE_URL, schema: options.schema });
  let donationStore: PgDonationStore | null = null;
  let donations: Donations | null = null;
  if (options.donations) {
    const { modelVersion } = options.donations;
    donationStore = await openPgDonationStore({ connectionString: TEST_DATABASE_URL, schema: options.schema });
    donations = new Donations({
      store: donationStore,
      clock: createSystemClock(),
      log: silentLogger(),
      modelVersion: () => modelVersion,
    });
  }
  const metrics = createMetrics({ defaultMetrics: false });
  const cluster = await ClusterNode.start({
    redisUrl: TEST_REDIS_URL,
    prefix: options.prefix,
    nodeId: options.nodeId,
    log: silentLogger(),
    registry: metrics.registry,
    roomCap: 100,
    maxConnectionsPerIp: 100,
    roomsPerIpPerMinute: 100,
    pingDatabase: () => store.ping(),
    ...options.cluster,
  });
  const server = await startTestServer({
    engine: options.engine,
    store,
    cluster,
    metrics,
    maxConnectionsPerIp: 1000,
    ...(donations ? { donations } : {}),
    ...options.app,
  });
  return {
    url: server.url,
    cluster,
    server,
    donations,
    async close() {
      await server.close();
      await donations?.close();
      await donationStore?.close();
      await cluster.close();
    },
  };
}

export async function redisClient(): Promise<Redis> {
  const r = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  await r.connect();
  return r;
}

/** Connects a bot to `url` and creates a room; throws with the server's message when refused. */
export async function createRoomOn(url: string, name: string, settings?: object) {
  const socket = await connectBot(url);
  const token = newToken(name);
  const r = await ask<JoinResult>(socket, 'room:create', { nickname: name, playerToken: token, settings });
  if (!r.ok) throw new Error(`create on ${url} failed: ${r.error.code} ${r.error.message}`);
  return { socket, token, join: r.data };
}

/** Connects a bot to `url` and asks to join room `code`; returns the answer as it came. */
export async function joinRoomOn(url: string, code: string, name: string, options: { protocol?: number } = {}) {
  const socket: Bot = await connectBot(url, options.protocol ? { auth: { v: options.protocol } } : {});
  const token = newToken(name);
  const r = await ask<JoinResult>(socket, 'room:join', { code, nickname: name, playerToken: token });
  return { socket, token, r };
}
