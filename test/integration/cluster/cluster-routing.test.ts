/**
 * Cluster mode with two nodes in this process, on the machine's Redis and PostgreSQL: a player
 * connected to one node plays in a room that runs on the other, and the per-address limits and
 * the room cap count over the whole cluster. (Node death and draining: three-nodes.test.ts.)
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emotionId } from '../../../shared/emotions.ts';
import type { FinalStandings, RoomState } from '../../../shared/protocol.ts';
import { dropTestSchema, newTestSchema } from '../../helpers/pg.ts';
import {
  ask,
  type Bot,
  connectBot,
  markerFrame,
  newToken,
  PlayerBot,
  sharedTestEngine,
  waitFor,
} from '../../helpers/server-harness.ts';
import {
  createRoomOn,
  type InProcessNode,
  joinRoomOn,
  newTestPrefix,
  redisClient,
  startInProcessNode,
} from './cluster-support.ts';

const engine = sharedTestEngine('cluster-routing.test');
const schema = newTestSchema('routing');
let redis: Redis;

beforeAll(async () => {
  redis = await redisClient();
});
afterAll(async () => {
  redis?.disconnect();
  await dropTestSchema(schema);
});

describe('a room on one node, players on two', () => {
  const prefix = newTestPrefix('routing');
  let a: InProcessNode;
  let b: InProcessNode;
  beforeAll(async () => {
    // The burst test creates a dozen rooms from one address; the limits have their own tests below.
    const app = { roomsPerIpPerMinute: 100 };
    a = await startInProcessNode({ engine: engine(), prefix, schema, nodeId: 'node-a', app });
    b = await startInProcessNode({ engine: engine(), prefix, schema, nodeId: 'node-b', app });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a player connected to node B joins a room of node A by its code and plays the whole game (protocol 4)', async () => {
    const host = await createRoomOn(a.url, 'Host', { rounds: 2, roundSeconds: 2, emotions: ['happy'] });
    const code = host.join.state.code;
    expect(await redis.get(`${prefix}room:${code}`)).toBe('node-a');

    const hostSeesGuest = waitFor(host.socket, 'room:state', (s: RoomState) => s.players.length === 2);
    // The guest speaks protocol 4, as the browser does: its one-message frames are parsed on node B
    // and forwarded to node A like any other event, and room patches ride back on its results.
    const guest = await joinRoomOn(b.url, code, 'Guest', { protocol: 4 });
    expect(guest.r.ok).toBe(true);
    if (!guest.r.ok) return;
    expect(guest.r.data.state.code).toBe(code);
    expect(guest.r.data.state.players.map((p) => p.nickname).sort()).toEqual(['Guest', 'Host']);
    await hostSeesGuest;

    const frames = (prompt: Parameters<typeof emotionId>[0], n: number) => markerFrame(emotionId(prompt), n);
    const bots = [new PlayerBot(host.socket, frames), new PlayerBot(guest.socket, frames, 4)];
    for (const bot of bots) bot.start();
    const finals = bots.map((bot) => waitFor(bot.socket, 'game:final', () => true, 40_000));
    const guestRound = waitFor(guest.socket, 'round:results');
    const started = await ask(host.socket, 'game:start');
    expect(started.ok).toBe(true);
    expect((await guestRound).entries).toHaveLength(2);
    const [hostFinal, guestFinal] = (await Promise.all(finals)) as FinalStandings[];
    for (const bot of bots) bot.stop();

    expect(guestFinal).toEqual(hostFinal);
    expect(guestFinal?.entries.map((e) => e.nickname).sort()).toEqual(['Guest', 'Host']);
    // The guest's frames went to node A and their results came back through node B.
    expect(bots[1]?.resultsReceived).toBeGreaterThan(0);
    // Node A's room patches rode on those results to the player on node B.
    expect(bots[1]?.patchesRiding).toBeGreaterThan(0);
    // A frame sent as a round ends may arrive after it (WRONG_PHASE); nothing else may go wrong.
    expect(bots[1]?.errors.filter((e) => e !== 'WRONG_PHASE')).toEqual([]);
    const stored = await a.server.store.getGame(guestFinal?.gameId as string);
    expect(stored?.players.map((p) => p.nickname).sort()).toEqual(['Guest', 'Host']);

    // The guest leaves through node B: node A's room shows one player.
    const hostSeesLeave = waitFor(host.socket, 'room:state', (s: RoomState) => s.players.length === 1);
    expect((await ask(guest.socket, 'room:leave')).ok).toBe(true);
    await hostSeesLeave;
    host.socket.disconnect();
    guest.socket.disconnect();
  });

  it('the host on node A kicks a player who is connected to node B, who is told', async () => {
    const host = await createRoomOn(a.url, 'Boss');
    const guest = await joinRoomOn(b.url, host.join.state.code, 'Kicked');
    expect(guest.r.ok).toBe(true);
    if (!guest.r.ok) return;
    const told = waitFor(guest.socket, 'room:kicked');
    expect((await ask(host.socket, 'room:kick', { playerId: guest.r.data.self.playerId })).ok).toBe(true);
    expect((await told).reason).toMatch(/removed/);
    host.socket.disconnect();
    guest.socket.disconnect();
  });

  it('a burst of rooms created on node A can each be joined at once from node B', async () => {
    // Creations outnumber the codes a node keeps claimed ahead; every room must still be findable.
    const hosts = await Promise.all(Array.from({ length: 12 }, (_, i) => createRoomOn(a.url, `Burst${i}`)));
    const codes = hosts.map((h) => h.join.state.code);
    expect(new Set(codes).size).toBe(12);
    const guests = await Promise.all(codes.map((code, i) => joinRoomOn(b.url, code, `Guest${i}`)));
    const refused = guests.filter((g) => !g.r.ok).map((g) => (g.r.ok ? '' : g.r.error.code));
    expect(refused).toEqual([]);
    for (const code of codes) expect(await redis.get(`${prefix}room:${code}`)).toBe('node-a');
    for (const s of [...hosts, ...guests]) s.socket.disconnect();
  });

  it('/healthz of each node shows its cluster view: node id, rooms owned, Redis and PostgreSQL reachability', async () => {
    const host = await createRoomOn(b.url, 'Viewer');
    await new Promise((r) => setTimeout(r, 1500)); // one heartbeat, and the PostgreSQL ping
    const health = (await (await fetch(`${b.url}/healthz`)).json()) as {
      cluster: {
        nodeId: string;
        roomsOwned: number;
        nodesAlive: number;
        redis: { reachable: boolean; latencyMs: number };
        postgres: { reachable: boolean; latencyMs: number };
      };
    };
    expect(health.cluster.nodeId).toBe('node-b');
    expect(health.cluster.roomsOwned).toBe(1);
    expect(health.cluster.nodesAlive).toBe(2);
    expect(health.cluster.redis.reachable).toBe(true);
    expect(health.cluster.redis.latencyMs).toBeGreaterThanOrEqual(0);
    expect(health.cluster.postgres.reachable).toBe(true);
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(/^emotion_arena_cluster_rooms_owned 1$/m);
    expect(metrics).toMatch(/^emotion_arena_cluster_redis_up 1$/m);
    expect(metrics).toMatch(/^emotion_arena_cluster_postgres_up 1$/m);
    host.socket.disconnect();
  });
});

describe('limits count over the whole cluster', () => {
  const prefix = newTestPrefix('limits');
  let c: InProcessNode;
  let d: InProcessNode;
  const limits = { roomCap: 2, maxConnectionsPerIp: 3, roomsPerIpPerMinute: 2 };
  /** Behind a trusted proxy, so each test speaks from an address of its own. */
  const from = (address: string) => ({ extraHeaders: { 'x-forwarded-for': address } });
  beforeAll(async () => {
    const app = { trustProxy: true };
    c = await startInProcessNode({ engine: engine(), prefix, schema, nodeId: 'node-c', cluster: limits, app });
    d = await startInProcessNode({ engine: engine(), prefix, schema, nodeId: 'node-d', cluster: limits, app });
  });
  afterAll(async () => {
    await c?.close();
    await d?.close();
  });

  it('connections per address: two on one node and one on the other fill the quota of three', async () => {
    const open = [
      await connectBot(c.url, from('10.0.0.1')),
      await connectBot(c.url, from('10.0.0.1')),
      await connectBot(d.url, from('10.0.0.1')),
    ];
    await expect(connectBot(d.url, from('10.0.0.1'))).rejects.toThrow(/too many connections from this address/);
    for (const s of open) s.disconnect();
    await new Promise((r) => setTimeout(r, 300));
    const again = await connectBot(d.url, from('10.0.0.1'));
    again.disconnect();
  });

  it('rooms per address per minute: one on each node fill a quota of two; a third is refused', async () => {
    const bots = [await connectBot(c.url, from('10.0.0.3')), await connectBot(d.url, from('10.0.0.3'))];
    const create = (i: number) =>
      ask(bots[i % 2] as Bot, 'room:create', { nickname: `Maker${i}`, playerToken: newToken(`maker${i}`) });
    expect(await create(0)).toMatchObject({ ok: true });
    expect(await create(1)).toMatchObject({ ok: true });
    const third = await create(2);
    expect(third.ok).toBe(false);
    if (!third.ok)
      expect(third.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/wait a minute/) });
    // Leaving closes the rooms (a disconnect would hold the seats for a reconnect).
    for (const b of bots) await ask(b, 'room:leave');
    for (const b of bots) b.disconnect();
  });

  /** Rooms (and admitted creations) counted under the cap now, by Redis's clock. */
  const openRooms = async () => {
    const [seconds, micros] = await redis.time();
    return redis.zcount(`${prefix}rooms`, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000), '+inf');
  };

  it('the room cap counts rooms on every node, and a closed room frees its place', async () => {
    // The cap is 2; the previous test's rooms closed, and their places come free within a heartbeat.
    const first = await connectBot(c.url, from('10.0.0.4'));
    const second = await connectBot(d.url, from('10.0.0.5'));
    const third = await connectBot(c.url, from('10.0.0.6'));
    const create = (bot: Bot, name: string) => ask(bot, 'room:create', { nickname: name, playerToken: newToken(name) });
    await waitUntil(async () => (await openRooms()) === 0, 10_000);
    expect((await create(first, 'First')).ok).toBe(true);
    expect((await create(second, 'Second')).ok).toBe(true);
    const refused = await create(third, 'Third');
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/full/) });
    // The first room closes when its only player leaves; within a heartbeat its place is free again.
    expect((await ask(first, 'room:leave')).ok).toBe(true);
    await waitUntil(async () => (await openRooms()) === 1, 10_000);
    expect((await create(third, 'Third')).ok).toBe(true);
    for (const b of [first, second, third]) b.disconnect();
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
