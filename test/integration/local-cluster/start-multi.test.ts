/**
 * start:multi (server/local-cluster.ts): two real server processes behind one port, in
 * cluster mode on the machine's Redis (database 9, so no keys mix with other runs) and
 * PostgreSQL (own schema). Long-polling clients must keep reaching the process that owns
 * their session (sticky routing), a room made through one connection must be joinable by
 * code from any other, and SIGTERM must stop every process.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../bench/free-port.ts';
import { planProcesses } from '../../../server/local-cluster.ts';
import { ownerOfSessionId, sessionIdFor } from '../../../server/local-cluster-router.ts';
import type { JoinResult, RoomState } from '../../../shared/protocol.ts';
import { PROJECT_ROOT } from '../../../training/data/dataset.ts';
import { dropTestSchema, newTestSchema, TEST_DATABASE_URL } from '../../helpers/pg.ts';
import { ask, type Bot, connectBot, newToken, waitFor } from '../../helpers/server-harness.ts';

const schema = newTestSchema('multi');
let child: ChildProcess;
let output = '';
let base = '';
let dataDir = '';
const bots: Bot[] = [];

async function health(): Promise<{ cluster?: { nodesAlive: number } } | null> {
  try {
    // A new connection each time, so the primary balances it like any other.
    const r = await fetch(new URL('/healthz', base), {
      headers: { connection: 'close' },
      signal: AbortSignal.timeout(3000),
    });
    return r.ok ? ((await r.json()) as { cluster?: { nodesAlive: number } }) : null;
  } catch {
    return null;
  }
}

beforeAll(async () => {
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  await db.query(`CREATE SCHEMA ${schema}`);
  await db.end();
  dataDir = await mkdtemp(join(tmpdir(), 'start-multi-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['--import', 'tsx', 'server/local-cluster.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      PROCESSES: '2',
      INFERENCE_WORKERS: '1',
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://127.0.0.1:6379/9',
      DATABASE_URL: `${TEST_DATABASE_URL}?options=-c%20search_path%3D${schema}`,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // The restart test opens 40 connections from this one address (and a rerun within a
      // minute must not meet the last run's room budget in Redis).
      MAX_CONNECTIONS_PER_IP: '100',
      ROOMS_PER_IP_PER_MINUTE: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer): void => {
    output += d.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // Both processes up and seeing each other in Redis.
  const end = Date.now() + 240_000;
  for (;;) {
    const h = await health();
    if (h?.cluster?.nodesAlive === 2) break;
    if (child.exitCode !== null) throw new Error(`start:multi exited (${child.exitCode}):\n${output}`);
    if (Date.now() > end) throw new Error(`start:multi not ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}, 300_000);

afterAll(async () => {
  for (const b of bots) b.disconnect();
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await dropTestSchema(schema).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('start:multi', () => {
  it('plans one process per core and splits the cores between their inference workers', () => {
    expect(planProcesses({}, 4)).toEqual({ processes: 4, inferenceWorkers: 1 });
    expect(planProcesses({ PROCESSES: '2' }, 8)).toEqual({ processes: 2, inferenceWorkers: 4 });
    expect(planProcesses({ PROCESSES: '3', INFERENCE_WORKERS: '2' }, 2)).toEqual({ processes: 3, inferenceWorkers: 2 });
    expect(() => planProcesses({ PROCESSES: 'two' }, 2)).toThrow(/PROCESSES must be a whole number/);
  });

  it('keeps long-polling sessions on their process and reaches rooms by code from any connection', async () => {
    // Long-polling sends every packet as a new HTTP request: without sticky routing about
    // half of them would land on the other process ("Session ID unknown").
    const pollers = await Promise.all(Array.from({ length: 4 }, () => connectBot(base, { transports: ['polling'] })));
    bots.push(...pollers);
    // Their session ids name the processes that own them (server/local-cluster-router.ts), and
    // least-connection put them on both: the primary routed each request by its id alone.
    const owners = pollers.map((p) =>
      ownerOfSessionId((p as unknown as { io: { engine: { id: string } } }).io.engine.id),
    );
    expect(new Set(owners).size, JSON.stringify(owners)).toBe(2);
    const rooms: string[] = [];
    for (const [i, p] of pollers.entries()) {
      const r = await ask<JoinResult>(p, 'room:create', { nickname: `Poll${i}`, playerToken: newToken(`poll${i}`) });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (r.ok) rooms.push(r.data.state.code);
    }
    // WebSocket players join each room by code, wherever the primary put their connection.
    for (const [i, code] of rooms.entries()) {
      const ws = await connectBot(base);
      bots.push(ws);
      const seen = waitFor(pollers[i] as Bot, 'room:state', (s: RoomState) => s.players.length === 2, 20_000);
      const r = await ask<JoinResult>(ws, 'room:join', { code, nickname: `Ws${i}`, playerToken: newToken(`ws${i}`) });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      await seen;
    }
  }, 120_000);

  it("answers bytes that are not a session's request, and no process dies of them", async () => {
    const { port } = new URL(base);
    // What comes back on a raw connection until the server closes it. Not half-closed unless
    // asked: Node's HTTP server drops, unanswered, a request whose client has already sent FIN.
    const exchange = (bytes: string, halfClose = false): Promise<string> =>
      new Promise((resolveReply, reject) => {
        const c = createConnection(Number(port), '127.0.0.1');
        let reply = '';
        c.setTimeout(10_000, () => c.destroy(new Error(`no answer to ${JSON.stringify(bytes.slice(0, 40))}`)));
        c.on('data', (d) => {
          reply += d.toString('latin1');
        });
        c.on('error', reject);
        c.on('close', () => resolveReply(reply));
        if (halfClose) c.end(bytes);
        else c.write(bytes);
      });
    // A session id that names a process but no session of it (forged, or from before a restart).
    const forged = `${sessionIdFor(1).slice(0, -1)}A`;
    const unknown = await exchange(
      `GET /socket.io/?EIO=4&transport=polling&sid=${forged} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(unknown).toMatch(/^HTTP\/1.1 400 /);
    expect(unknown).toContain('Session ID unknown');
    // The same with a body, which the primary relays chunk by chunk.
    const posted = await exchange(
      `POST /socket.io/?EIO=4&transport=polling&sid=${forged} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n40`,
    );
    expect(posted).toMatch(/^HTTP\/1.1 400 /);
    // Not HTTP at all, and a head that never ends: the process closes them; nothing hangs.
    expect(await exchange('\u0000\u0001 not http\r\n\r\n')).toMatch(/^(HTTP\/1.1 400 |$)/);
    expect(await exchange(`GET /socket.io/?sid=${'x'.repeat(5000)}`, true)).toMatch(/^(HTTP\/1.1 4\d\d |$)/);
    // No process died of them (the primary reports every exit), and the port still serves.
    await new Promise((r) => setTimeout(r, 1000));
    expect(output).not.toMatch(/exited/);
    expect(await health()).not.toBeNull();
    const ws = await connectBot(base);
    bots.push(ws);
    expect(ws.connected).toBe(true);
  }, 60_000);

  it('connections that arrive while a process restarts are all answered', async () => {
    // A new process is in cluster.workers (and, with no connections yet, the least-loaded one)
    // from the moment it is forked, seconds before it can serve: the primary must not hand it
    // connections it cannot take, or those players wait forever.
    // Its game processes (the primary may also have an esbuild child, tsx's compiler).
    const workers = execFileSync('pgrep', ['-P', String(child.pid), '-f', 'server/main.ts'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    expect(workers.length).toBe(2);
    process.kill(workers[0] as number, 'SIGKILL');
    // From the moment the primary knows (a connection handed over in the instant before is
    // lost with the process; a real client reconnects).
    const noticed = Date.now() + 10_000;
    while (!/exited \(SIGKILL\)/.test(output)) {
      if (Date.now() > noticed) throw new Error(`the primary did not notice the kill:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const results: Array<'connected' | string> = [];
    const attempts: Promise<void>[] = [];
    // For 10 s from the kill (the replacement is forked after 1 s and takes seconds to load),
    // a new player every 250 ms.
    for (let i = 0; i < 40; i++) {
      const bot = connectBot(base);
      // Our own deadline: a connection handed to a process that never reads it gets no error at all.
      const deadline = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no answer in 30 s')), 30_000).unref(),
      );
      attempts.push(
        Promise.race([bot, deadline]).then(
          (b) => {
            bots.push(b);
            results.push('connected');
          },
          (e: Error) => {
            void bot.then(
              (b) => b.disconnect(),
              () => undefined,
            );
            results.push(`player ${i}: ${e.message}`);
          },
        ),
      );
      await new Promise((r) => setTimeout(r, 250));
    }
    await Promise.all(attempts);
    expect(results.filter((r) => r !== 'connected')).toEqual([]);
    // The replacement took players too once it was up: both processes alive in Redis again.
    const end = Date.now() + 60_000;
    while ((await health())?.cluster?.nodesAlive !== 2) {
      if (Date.now() > end) throw new Error(`the replacement process never came up:\n${output}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 180_000);

  it('SIGTERM stops every process and the primary', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await health()).toBeNull();
  }, 200_000);
});
