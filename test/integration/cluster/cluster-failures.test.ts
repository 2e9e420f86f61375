/**
 * Cluster mode when its services fail: what the operator is told when Redis or PostgreSQL does
 * not answer at start, and what players and /healthz say while Redis is down and after it returns.
 * The outage test runs its own redis-server on a free port, so it never touches the shared one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../bench/free-port.ts';
import { ClusterNode } from '../../../server/cluster/cluster-node.ts';
import { silentLogger } from '../../../server/logging.ts';
import { openLeaderboardStore } from '../../../server/store/create-store.ts';
import type { JoinResult } from '../../../shared/protocol.ts';
import { dropTestSchema, newTestSchema } from '../../helpers/pg.ts';
import { ask, type Bot, connectBot, newToken, sharedTestEngine } from '../../helpers/server-harness.ts';
import { createRoomOn, type InProcessNode, newTestPrefix, startInProcessNode } from './cluster-support.ts';

const engine = sharedTestEngine('cluster-failures.test');

describe('services that do not answer at start', () => {
  it('a node does not start without Redis, and says REDIS_URL is unreachable', async () => {
    const port = await freePort();
    await expect(
      ClusterNode.start({
        redisUrl: `redis://127.0.0.1:${port}`,
        log: silentLogger(),
        roomCap: 10,
        maxConnectionsPerIp: 10,
        roomsPerIpPerMinute: 10,
      }),
    ).rejects.toThrow(/cannot reach Redis at REDIS_URL/);
  });

  it('a node does not start without PostgreSQL, and says DATABASE_URL is unreachable', async () => {
    const port = await freePort();
    await expect(
      openLeaderboardStore({
        kind: 'sqlite',
        dataDir: '/nonexistent',
        databaseUrl: `postgres://postgres@127.0.0.1:${port}/test`,
      }),
    ).rejects.toThrow(/cannot open the PostgreSQL leaderboard at DATABASE_URL: .*ECONNREFUSED/);
  });
});

/** A redis-server of the test's own on `port` (so the tests never stop the shared one). */
function spawnRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
}

/** Resolves once something listens on `port` (the redis-server accepts connections). */
async function untilListening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = createServer();
      s.once('error', () => r(true)); // port taken: the server is listening
      s.listen(port, '127.0.0.1', () => s.close(() => r(false)));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server did not start on port ${port}`);
}

/**
 * What each describe below needs: its own schema and key prefix, a redis-server of its own, and
 * the nodes and bots it starts, all stopped after its tests.
 */
function ownRedisFixture(name: string) {
  const fixture = {
    schema: newTestSchema(name),
    prefix: newTestPrefix(name),
    redis: null as ChildProcess | null,
    nodes: [] as InProcessNode[],
    bots: [] as Bot[],
    /** (Re)starts the redis-server on `port`; resolves once it accepts connections. */
    async startRedis(port: number): Promise<ChildProcess> {
      fixture.redis = spawnRedis(port);
      await untilListening(port);
      return fixture.redis;
    },
  };
  afterAll(async () => {
    fixture.redis?.kill('SIGCONT'); // a test may leave it stopped
    for (const b of fixture.bots) b.disconnect();
    for (const n of fixture.nodes) await n.close();
    fixture.redis?.kill('SIGKILL');
    await dropTestSchema(fixture.schema);
  });
  return fixture;
}

describe('Redis goes down while two nodes run, then comes back', () => {
  const fixture = ownRedisFixture('outage');
  const { schema, prefix, nodes, bots } = fixture;

  it('players are told the servers cannot reach each other, /healthz says so, and all works again after', async () => {
    const port = await freePort();
    await fixture.startRedis(port);
    const redisUrl = `redis://127.0.0.1:${port}`;
    for (const id of ['node-a', 'node-b']) {
      nodes.push(await startInProcessNode({ engine: engine(), prefix, schema, nodeId: id, cluster: { redisUrl } }));
    }
    const [a, b] = nodes as [InProcessNode, InProcessNode];
    const host = await createRoomOn(a.url, 'Host');
    bots.push(host.socket);
    const hostTold: string[] = [];
    host.socket.on('room:kicked', ({ reason }) => hostTold.push(reason));
    const guest = await connectBot(b.url);
    bots.push(guest);
    // One token throughout: a join whose answer was lost (Redis returning mid-answer) leaves the seat taken
    // by this same player, and the next try takes it back.
    const guestToken = newToken('g');
    const join = () =>
      ask<JoinResult>(guest, 'room:join', {
        code: host.join.state.code,
        nickname: 'Guest',
        playerToken: guestToken,
      });

    const stopped = new Promise((r) => fixture.redis?.once('exit', r));
    fixture.redis?.kill('SIGKILL');
    await stopped;
    const during = await join();
    expect(during.ok).toBe(false);
    if (!during.ok) {
      expect(during.error).toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(/cannot reach each other/),
      });
    }
    // A join link checked on node B for node A's room: a clear 503 within a couple of seconds, no hang;
    // node A still answers for its own room (its own count of wrong codes throttles meanwhile).
    const t1 = Date.now();
    const lookup = await fetch(`${b.url}/api/rooms/${host.join.state.code}`);
    expect(Date.now() - t1).toBeLessThan(3_000);
    expect(lookup.status).toBe(503);
    expect(await lookup.json()).toEqual({
      ok: false,
      error: { code: 'UNAVAILABLE', message: 'the game servers cannot reach each other right now; try again' },
    });
    const own = await fetch(`${a.url}/api/rooms/${host.join.state.code}`);
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ ok: true, data: { code: host.join.state.code, players: 1 } });
    // Within a few heartbeats /healthz reports Redis unreachable.
    const redisReachable = async () =>
      ((await (await fetch(`${a.url}/healthz`)).json()) as { cluster: { redis: { reachable: boolean } } }).cluster.redis
        .reachable;
    const t0 = Date.now();
    while ((await redisReachable()) && Date.now() - t0 < 6_000) await new Promise((r) => setTimeout(r, 200));
    expect(await redisReachable()).toBe(false);
    expect(await (await fetch(`${a.url}/metrics`)).text()).toMatch(/^emotion_arena_cluster_redis_up 0$/m);

    // Redis returns empty: the nodes re-register their rooms, and the host's room is reachable again.
    await fixture.startRedis(port);
    let after: Awaited<ReturnType<typeof join>> | null = null;
    for (let i = 0; i < 40 && !after?.ok; i++) {
      await new Promise((r) => setTimeout(r, 500));
      after = await join();
    }
    expect(after?.ok ? 'joined' : after?.error).toBe('joined');
    if (after?.ok) expect(after.data.state.players.map((p) => p.nickname).sort()).toEqual(['Guest', 'Host']);
    // The host was never told the room was gone: Redis coming back empty is not a node dying.
    expect(hostTold).toEqual([]);
  }, 90_000);
});

describe('Redis stops answering (hung, connections left open) while a node runs', () => {
  const fixture = ownRedisFixture('frozen');
  const { schema, prefix, nodes, bots } = fixture;

  it('a player connecting or joining is told within seconds instead of waiting forever, and all works once Redis answers again', async () => {
    const port = await freePort();
    const child = await fixture.startRedis(port);
    const redisUrl = `redis://127.0.0.1:${port}`;
    const node = await startInProcessNode({
      engine: engine(),
      prefix,
      schema,
      nodeId: 'node-f',
      cluster: { redisUrl },
    });
    nodes.push(node);
    const host = await createRoomOn(node.url, 'Host');
    bots.push(host.socket);

    // SIGSTOP: the TCP connections stay open and nothing answers (a hung Redis, a half-open link).
    child.kill('SIGSTOP');
    const t0 = Date.now();
    const refused = await connectBot(node.url).then(
      (s) => {
        bots.push(s);
        return null;
      },
      (e: Error) => e,
    );
    const connectMs = Date.now() - t0;
    expect(refused?.message).toMatch(/UNAVAILABLE/);
    expect(connectMs).toBeLessThan(10_000);

    // A player already connected: a join by code is answered (not left hanging) too.
    const t1 = Date.now();
    const join = await ask<JoinResult>(host.socket, 'room:join', {
      code: 'ZZZZZ',
      nickname: 'Again',
      playerToken: newToken('again'),
    });
    expect(join.ok).toBe(false);
    expect(Date.now() - t1).toBeLessThan(10_000);

    child.kill('SIGCONT');
    let back: Bot | null = null;
    for (let i = 0; i < 40 && !back; i++) {
      back = await connectBot(node.url).catch(() => null);
      if (!back) await new Promise((r) => setTimeout(r, 250));
    }
    expect(back).not.toBeNull();
    if (back) bots.push(back);
    const joined = await ask<JoinResult>(back as Bot, 'room:join', {
      code: host.join.state.code,
      nickname: 'Guest',
      playerToken: newToken('guest'),
    });
    expect(joined.ok ? 'joined' : joined.error).toBe('joined');
    console.log(`Redis hung: a connecting player was refused after ${connectMs} ms`);
  }, 90_000);
});
