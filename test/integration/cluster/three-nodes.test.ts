/**
 * Three game nodes as three processes on loopback ports, one Redis and one PostgreSQL (the
 * machine's; own key prefix and schema). Bots spread over the nodes, several in rooms owned by
 * another node. One node is killed with SIGKILL mid-game, one drained with SIGTERM, then all
 * three restarted one at a time (a rolling restart) with games running on every node; the
 * assertions are what players see: who is told what, how fast they can play again, whose game
 * goes on untouched, and which games end up in PostgreSQL.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgLeaderboardStore, type PgLeaderboardStore } from '../../../server/store/pg-store.ts';
import { emotionId } from '../../../shared/emotions.ts';
import type { FinalStandings, JoinResult, RoomState } from '../../../shared/protocol.ts';
import { PROJECT_ROOT } from '../../../training/data/dataset.ts';
import { dropTestSchema, newTestSchema, TEST_DATABASE_URL } from '../../helpers/pg.ts';
import { ask, type Bot, connectBot, markerFrame, PlayerBot, waitFor } from '../../helpers/server-harness.ts';
import { createRoomOn, joinRoomOn, newTestPrefix, redisClient, TEST_REDIS_URL } from './cluster-support.ts';

interface NodeProcess {
  id: string;
  url: string;
  child: ChildProcess;
  stderr: string[];
  exited: Promise<number | null>;
  drained: Promise<{ waitedMs: number; gamesCut: number }>;
}

const prefix = newTestPrefix('three');
const schema = newTestSchema('three');
const nodes = new Map<string, NodeProcess>();
let redis: Redis;
let store: PgLeaderboardStore;
const bots: Bot[] = [];

function startNode(id: string): Promise<NodeProcess> {
  const child = fork(join(PROJECT_ROOT, 'test/integration/cluster/node-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      ARENA_NODE_ID: id,
      REDIS_URL: TEST_REDIS_URL,
      ARENA_TEST_PREFIX: prefix,
      ARENA_TEST_SCHEMA: schema,
      ARENA_TEST_DATABASE_URL: TEST_DATABASE_URL,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const drained = new Promise<{ waitedMs: number; gamesCut: number }>((r) =>
    child.on('message', (m: { type: string; waitedMs: number; gamesCut: number }) => {
      if (m.type === 'drained') r(m);
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${id} did not start: ${stderr.join('')}`)), 300_000);
    child.on('message', (m: { type: string; port: number }) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      const node = { id, url: `http://127.0.0.1:${m.port}`, child, stderr, exited, drained };
      nodes.set(id, node);
      resolve(node);
    });
    child.once('exit', (code) => reject(new Error(`node ${id} exited with ${code}: ${stderr.join('')}`)));
  });
}

const url = (id: string) => (nodes.get(id) as NodeProcess).url;
const frames = (prompt: Parameters<typeof emotionId>[0], n: number) => markerFrame(emotionId(prompt), n);

/** A player bot on `node` that streams frames during rounds and remembers what it was told. */
function player(socket: Bot) {
  bots.push(socket);
  const bot = new PlayerBot(socket, frames);
  const told = { kicked: [] as string[], disconnects: 0 };
  socket.on('room:kicked', ({ reason }) => told.kicked.push(reason));
  socket.on('disconnect', () => told.disconnects++);
  bot.start();
  return { bot, told, socket };
}

beforeAll(async () => {
  redis = await redisClient();
  store = await openPgLeaderboardStore({ connectionString: TEST_DATABASE_URL, schema });
  await Promise.all(['node-a', 'node-b', 'node-c'].map(startNode));
}, 420_000);

afterAll(async () => {
  for (const b of bots) b.disconnect();
  for (const n of nodes.values()) if (n.child.exitCode === null) n.child.kill('SIGKILL');
  redis?.disconnect();
  await store?.close();
  await dropTestSchema(schema);
});

describe('three nodes behind one address', () => {
  it('a node killed mid-game: its players are told and play on elsewhere within 5 s; the other rooms notice nothing', async () => {
    // Control room on node A, with a player connected to node B.
    const hostA = await createRoomOn(url('node-a'), 'HostA', { rounds: 3, roundSeconds: 3, emotions: ['happy'] });
    const guestB = await joinRoomOn(url('node-b'), hostA.join.state.code, 'GuestB');
    expect(guestB.r.ok).toBe(true);
    // Victim room on node C, with a player connected to node A.
    const hostC = await createRoomOn(url('node-c'), 'HostC', { rounds: 1, roundSeconds: 1, emotions: ['happy'] });
    const codeC = hostC.join.state.code;
    const guestA = await joinRoomOn(url('node-a'), codeC, 'GuestA');
    expect(guestA.r.ok).toBe(true);
    expect(await redis.get(`${prefix}room:${codeC}`)).toBe('node-c');

    const control = [player(hostA.socket), player(guestB.socket)];
    const victims = [player(hostC.socket), player(guestA.socket)];

    // A first game on node C finishes before the crash: it must be in PostgreSQL.
    const firstFinal = waitFor(guestA.socket, 'game:final', () => true, 30_000);
    expect((await ask(hostC.socket, 'game:start')).ok).toBe(true);
    const finished = (await firstFinal) as FinalStandings;
    await waitFor(hostC.socket, 'room:state', (s: RoomState) => s.phase === 'lobby', 10_000);
    expect((await ask(hostC.socket, 'room:settings', { rounds: 3, roundSeconds: 3 })).ok).toBe(true);

    const controlFinal = waitFor(hostA.socket, 'game:final', () => true, 60_000);
    expect((await ask(hostA.socket, 'game:start')).ok).toBe(true);
    expect((await ask(hostC.socket, 'game:start')).ok).toBe(true);
    // Mid-game on both rooms: kill node C without warning.
    await waitFor(guestA.socket, 'room:state', (s: RoomState) => s.phase === 'round');
    await waitFor(guestB.socket, 'room:state', (s: RoomState) => s.phase === 'round');
    const controlResultsBefore = control.map((p) => p.bot.resultsReceived);
    const killedAt = Date.now();
    nodes.get('node-c')?.child.kill('SIGKILL');
    // Watched from the kill on: when node C's entries (its info, its room's code) leave Redis.
    const entriesGone = (async () => {
      while ((await redis.exists(`${prefix}node:node-c`, `${prefix}room:${codeC}`)) > 0) {
        await new Promise((r) => setTimeout(r, 100));
      }
      return Date.now() - killedAt;
    })();

    // The player connected to node C loses the connection at once; the one on node A is told why.
    await waitUntil(() => victims[0]?.told.disconnects === 1, 5_000);
    await waitUntil(() => (victims[1]?.told.kicked.length ?? 0) > 0, 6_000);
    const toldAfterMs = Date.now() - killedAt;
    expect(victims[1]?.told.kicked[0]).toMatch(/server running this room stopped.*saved.*another room/);
    expect(toldAfterMs).toBeLessThan(5_000);

    // Node C's player comes back through another node (the client reconnects to the one address):
    // rejoining the dead room gets a clear answer, and a new room opens.
    const back = await connectBot(url('node-b'));
    bots.push(back);
    const rejoin = await ask<JoinResult>(back, 'room:join', {
      code: codeC,
      nickname: 'HostC',
      playerToken: hostC.token,
    });
    expect(rejoin.ok).toBe(false);
    if (!rejoin.ok) expect(rejoin.error.message).toMatch(/stopped|no room with code/);
    const fresh = await ask<JoinResult>(back, 'room:create', { nickname: 'HostC', playerToken: hostC.token });
    expect(fresh.ok).toBe(true);
    const again = await ask<JoinResult>(guestA.socket, 'room:join', {
      code: fresh.ok ? fresh.data.state.code : '',
      nickname: 'GuestA',
      playerToken: guestA.token,
    });
    expect(again.ok).toBe(true);
    const playingAgainAfterMs = Date.now() - killedAt;
    expect(playingAgainAfterMs).toBeLessThan(5_000);

    // The control room's game went on: frames scored after the crash, no message, full game, stored.
    const final = (await controlFinal) as FinalStandings;
    expect(final.rounds).toBe(3);
    expect(final.entries.map((e) => e.nickname).sort()).toEqual(['GuestB', 'HostA']);
    control.forEach((p, i) => {
      expect(p.bot.resultsReceived).toBeGreaterThan(controlResultsBefore[i] as number);
      expect(p.told).toEqual({ kicked: [], disconnects: 0 });
    });
    await waitUntil(async () => (await store.getGame(final.gameId)) !== null, 5_000);
    // Node C's game that finished before the crash is in PostgreSQL.
    expect((await store.getGame(finished.gameId))?.players.map((p) => p.nickname).sort()).toEqual(['GuestA', 'HostC']);
    // Node C's entries in Redis are gone within 10 s of its death.
    const goneAfterMs = await entriesGone;
    expect(goneAfterMs).toBeLessThan(10_000);
    console.log(
      `kill -9: player on another node told after ${toldAfterMs} ms; both players in a new room after ` +
        `${playingAgainAfterMs} ms; the dead node's Redis entries gone after ${goneAfterMs} ms`,
    );
    for (const p of [...control, ...victims]) p.bot.stop();
  }, 120_000);

  it('a drained node takes no new rooms or games, lets its running game finish, tells its players, and exits', async () => {
    const host = await createRoomOn(url('node-b'), 'HostB', { rounds: 3, roundSeconds: 2, emotions: ['happy'] });
    const guest = await joinRoomOn(url('node-a'), host.join.state.code, 'GuestA2');
    expect(guest.r.ok).toBe(true);
    const lobby = await createRoomOn(url('node-b'), 'Waiting');
    const maker = await connectBot(url('node-b'));
    bots.push(maker);
    const players = [player(host.socket), player(guest.socket)];
    const finals = players.map((p) => waitFor(p.socket, 'game:final', () => true, 60_000));
    const notices = players.map((p) => waitFor(p.socket, 'room:kicked', () => true, 60_000));

    expect((await ask(host.socket, 'game:start')).ok).toBe(true);
    await waitFor(guest.socket, 'room:state', (s: RoomState) => s.phase === 'round');
    const b = nodes.get('node-b') as NodeProcess;
    b.child.kill('SIGTERM');
    await waitUntil(async () => (await fetch(`${b.url}/healthz`)).status === 503, 5_000);
    const health = (await (await fetch(`${b.url}/healthz`)).json()) as { cluster: { draining: boolean } };
    expect(health.cluster.draining).toBe(true);

    // No new game starts on the draining node, and a room asked of it opens on another node.
    const refused = await ask(lobby.socket, 'game:start');
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/restarting/) });
    const elsewhere = await ask<JoinResult>(maker, 'room:create', {
      nickname: 'Maker',
      playerToken: `maker_token_${Date.now()}`,
    });
    expect(elsewhere.ok).toBe(true);
    if (elsewhere.ok) expect(await redis.get(`${prefix}room:${elsewhere.data.state.code}`)).toBe('node-a');

    // The running game finishes every round, is stored, then the players are told and the node exits.
    const [hostFinal, guestFinal] = (await Promise.all(finals)) as FinalStandings[];
    expect(hostFinal?.rounds).toBe(3);
    expect(guestFinal).toEqual(hostFinal);
    for (const notice of await Promise.all(notices)) expect(notice.reason).toMatch(/restarting.*saved/);
    expect(await b.exited).toBe(0);
    const drained = await b.drained;
    expect(drained.gamesCut).toBe(0);
    console.log(`drain: waited ${drained.waitedMs} ms for the running game, none cut; exit code 0`);
    expect(await store.getGame(hostFinal?.gameId as string)).not.toBeNull();
    expect(await redis.exists(`${prefix}node:node-b`)).toBe(0);
    for (const p of players) p.bot.stop();
  }, 120_000);

  it('a rolling restart of all three nodes loses no finished game and cuts no running game', async () => {
    const ids = ['node-a', 'node-b', 'node-c'];
    // The nodes the tests above killed or drained come back under the same ids, as after a restart.
    const ended = (id: string) => {
      const child = nodes.get(id)?.child;
      return !child || child.exitCode !== null || child.signalCode !== null;
    };
    await Promise.all(ids.filter(ended).map(restartNode));
    const finished: string[] = [];
    const report: string[] = [];
    for (const [i, victim] of ids.entries()) {
      const before = ids[(i + 2) % 3] as string;
      const after = ids[(i + 1) % 3] as string;
      // A room on every node, each with a guest connected through the next node. The games on the
      // nodes that stay up outlast the drain, so the restart happens in the middle of them.
      const rooms = await Promise.all(
        ids.map(async (owner, k) => {
          const long = owner !== victim;
          const settings = { rounds: long ? 6 : 2, roundSeconds: 2, emotions: ['happy'] };
          const host = await createRoomOn(url(owner), `Host${k}${i}`, settings);
          const guest = await joinRoomOn(url(ids[(k + 1) % 3] as string), host.join.state.code, `Guest${k}${i}`);
          expect(guest.r.ok).toBe(true);
          const players = [player(host.socket), player(guest.socket)];
          const final = waitFor(host.socket, 'game:final', () => true, 90_000) as Promise<FinalStandings>;
          return {
            owner,
            k,
            code: host.join.state.code,
            guestToken: guest.token,
            players,
            final,
            rounds: settings.rounds,
          };
        }),
      );
      for (const r of rooms) expect((await ask(r.players[0]?.socket as Bot, 'game:start')).ok).toBe(true);
      await Promise.all(
        rooms.map((r) => waitFor(r.players[1]?.socket as Bot, 'room:state', (s: RoomState) => s.phase === 'round')),
      );
      const own = rooms.find((r) => r.owner === victim) as (typeof rooms)[number];
      const relayed = rooms.find((r) => r.owner === before) as (typeof rooms)[number];
      const untouched = rooms.find((r) => r.owner === after) as (typeof rooms)[number];
      const drainedNode = nodes.get(victim) as NodeProcess;
      drainedNode.child.kill('SIGTERM');

      // The guest connected through the restarting node loses its connection once that node's game
      // is over; its client reconnects through the one address and rejoins the room mid-game.
      const rejoining = relayed.players[1] as ReturnType<typeof player>;
      await waitUntil(() => rejoining.told.disconnects === 1, 60_000);
      const back = await connectBot(url(after));
      bots.push(back);
      const rejoin = await ask<JoinResult>(back, 'room:join', {
        code: relayed.code,
        nickname: `Guest${relayed.k}${i}`,
        playerToken: relayed.guestToken,
      });
      expect(rejoin.ok).toBe(true);
      const resultsAtRejoin = rejoining.bot.resultsReceived;
      rejoining.bot.attach(back);

      // The draining node's own game ran to its end, was stored, and its players were told.
      const ownFinal = await own.final;
      expect(ownFinal.rounds).toBe(own.rounds);
      expect(await drainedNode.exited).toBe(0);
      expect((await drainedNode.drained).gamesCut).toBe(0);
      expect(own.players[1]?.told.kicked[0]).toMatch(/restarting.*saved/);
      // Both games on the nodes that stay up ran every round with both players in the standings.
      for (const r of [relayed, untouched]) {
        const final = await r.final;
        expect(final.rounds).toBe(r.rounds);
        expect(final.entries.map((e) => e.nickname).sort()).toEqual([`Guest${r.k}${i}`, `Host${r.k}${i}`]);
        expect(r.players[0]?.told).toEqual({ kicked: [], disconnects: 0 });
      }
      expect(untouched.players[1]?.told).toEqual({ kicked: [], disconnects: 0 });
      expect(rejoining.told.kicked).toEqual([]);
      expect(rejoining.bot.resultsReceived).toBeGreaterThan(resultsAtRejoin);
      for (const r of rooms) finished.push((await r.final).gameId);
      for (const r of rooms) for (const p of r.players) p.bot.stop();

      // The node comes back and takes rooms again before the next one restarts.
      const t0 = Date.now();
      await restartNode(victim);
      const fresh = await createRoomOn(url(victim), `Back${i}`);
      bots.push(fresh.socket);
      expect(await redis.get(`${prefix}room:${fresh.join.state.code}`)).toBe(victim);
      report.push(`${victim} back in ${Date.now() - t0} ms`);
    }
    // Every game that finished during the restarts is in PostgreSQL.
    expect(new Set(finished).size).toBe(9);
    for (const id of finished) expect(await store.getGame(id)).not.toBeNull();
    console.log(`rolling restart: 9 games finished, 9 stored, none cut; ${report.join(', ')}`);
  }, 420_000);
});

/** Starts `id` again after its process ended (a restart keeps the node's id). */
async function restartNode(id: string): Promise<void> {
  await nodes.get(id)?.exited;
  nodes.delete(id);
  await startNode(id);
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
