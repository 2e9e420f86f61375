/**
 * `node --expose-gc --import tsx bench/room-memory.ts [rooms] [playersPerRoom]`:
 * measures what an open room costs the server, to size MAX_ROOMS. The real application
 * (memory store, a stand-in engine) runs on the main thread; bots connect from a worker
 * thread, whose heap is its own, so the main thread's heap growth is the server's cost
 * of the rooms and their connections.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { io as connect, type Socket } from 'socket.io-client';
import { createApplication } from '../server/app.ts';
import { createMetrics } from '../server/metrics.ts';
import { MemoryLeaderboardStore } from '../server/store/memory-store.ts';
import { startTsWorker } from '../server/util/ts-worker.ts';

interface BotJob {
  url: string;
  rooms: number;
  playersPerRoom: number;
}

async function runBots(job: BotJob): Promise<void> {
  const sockets: Socket[] = [];
  const open = async (): Promise<Socket> => {
    const s = connect(job.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    sockets.push(s);
    return s;
  };
  let n = 0;
  const token = () => `bench_room_memory_${process.pid}_${++n}`.padEnd(20, 'x');
  for (let r = 0; r < job.rooms; r++) {
    const host = await open();
    const created = (await host.emitWithAck('room:create', { nickname: `H${r}`, playerToken: token() })) as {
      ok: boolean;
      data?: { state: { code: string } };
      error?: { message: string };
    };
    if (!created.ok || !created.data) throw new Error(`room:create failed: ${created.error?.message}`);
    for (let p = 1; p < job.playersPerRoom; p++) {
      const s = await open();
      await s.emitWithAck('room:join', { code: created.data.state.code, nickname: `P${r}x${p}`, playerToken: token() });
    }
  }
  parentPort?.postMessage('ready');
  await new Promise<void>((resolve) => parentPort?.once('message', () => resolve()));
  for (const s of sockets) s.disconnect();
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external + m.arrayBuffers) / 2 ** 20;
}

async function main(): Promise<void> {
  if (!(globalThis as { gc?: () => void }).gc) throw new Error('run with node --expose-gc');
  const rooms = Number(process.argv[2] ?? 500);
  const playersPerRoom = Number(process.argv[3] ?? 1);
  const http = createServer();
  const app = createApplication(http, {
    engine: {
      name: 'none',
      predict: async (f) => f.map(() => new Float32Array(7).fill(1 / 7)),
      dispose: async () => {},
    },
    store: new MemoryLeaderboardStore(),
    metrics: createMetrics({ defaultMetrics: false }),
    maxConnectionsPerIp: 100_000,
    roomsPerIpPerMinute: 100_000,
    controlEventsPerSecond: 100_000,
    maxRooms: 100_000,
    serveClient: false,
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  // Warm up: one room through the same code paths, so lazily built things are not counted per room.
  await bots({ url, rooms: 1, playersPerRoom: 1 }, async () => {});
  await new Promise((r) => setTimeout(r, 500));
  const before = heapMb();
  let after = before;
  await bots({ url, rooms, playersPerRoom }, async () => {
    await new Promise((r) => setTimeout(r, 1000));
    after = heapMb();
  });
  const perRoomKb = ((after - before) * 1024) / rooms;
  process.stdout.write(
    `${rooms} rooms × ${playersPerRoom} connected member(s): server heap+external ${before.toFixed(1)} → ${after.toFixed(1)} MiB, ` +
      `${perRoomKb.toFixed(1)} KiB per room (${(perRoomKb / playersPerRoom).toFixed(1)} KiB per member), open rooms ${app.rooms.size}\n`,
  );
  await app.shutdown();
  http.close();
}

async function bots(job: BotJob, whileOpen: () => Promise<void>): Promise<void> {
  const worker = startTsWorker(new URL(import.meta.url), { workerData: job });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  await whileOpen();
  worker.postMessage('done');
  await new Promise((r) => worker.once('exit', r));
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`room-memory: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
} else {
  runBots(workerData as BotJob).catch((err: unknown) => {
    process.stderr.write(`room-memory bots: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
