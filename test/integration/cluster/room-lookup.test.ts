/**
 * Behind a load balancer that knows nothing of rooms, a join link is checked on whichever node
 * the request lands: GET /api/rooms/:code answers for a room on any node, and the room-code
 * guessing budget (FAILED_JOINS_PER_IP_PER_MINUTE) holds over all nodes together, over HTTP and
 * room:join alike. Two nodes in this process (the machine's Redis and PostgreSQL); a third as a
 * process of its own, killed with SIGKILL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JoinResult, type Phase, ROOM_CODE_ALPHABET } from '../../../shared/protocol.ts';
import { dropTestSchema, newTestSchema } from '../../helpers/pg.ts';
import { ask, type Bot, connectBot, newToken, sharedTestEngine } from '../../helpers/server-harness.ts';
import {
  forkNodeProcess,
  type InProcessNode,
  type NodeProcess,
  newTestPrefix,
  startInProcessNode,
} from './cluster-support.ts';

const engine = sharedTestEngine('room-lookup.test');
const schema = newTestSchema('lookup');
const prefix = newTestPrefix('lookup');
const BUDGET = 4;
let a: InProcessNode;
let b: InProcessNode;
let victim: NodeProcess | null = null;
const bots: Bot[] = [];

/** Behind a trusted proxy, so each test speaks from addresses of its own. */
const from = (address: string) => ({ extraHeaders: { 'x-forwarded-for': address } });

async function look(url: string, code: string, address: string) {
  const t0 = Date.now();
  const res = await fetch(`${url}/api/rooms/${code}`, { headers: { 'x-forwarded-for': address } });
  return {
    status: res.status,
    ms: Date.now() - t0,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as { ok: boolean; data?: unknown; error?: { code: string; message: string } },
  };
}

async function bot(url: string, address: string): Promise<Bot> {
  const s = await connectBot(url, from(address));
  bots.push(s);
  return s;
}

async function join(socket: Bot, code: string, name: string, role?: 'player' | 'spectator') {
  return ask<JoinResult>(socket, 'room:join', { code, nickname: name, playerToken: newToken(name), role });
}

async function createRoom(url: string, address: string, name: string): Promise<{ host: Bot; code: string }> {
  const host = await bot(url, address);
  const r = await ask<JoinResult>(host, 'room:create', {
    nickname: name,
    playerToken: newToken(name),
    settings: { rounds: 1, roundSeconds: 3, emotions: ['happy'] },
  });
  if (!r.ok) throw new Error(`create failed: ${r.error.message}`);
  return { host, code: r.data.state.code };
}

/** A code no room has (the alphabet's first letter five times is one in millions to exist). */
const unknownCode = (real: string) => (real === 'AAAAA' ? 'BBBBB' : 'AAAAA');

beforeAll(async () => {
  const app = { trustProxy: true, failedJoinsPerIpPerMinute: BUDGET, roomLookupsPerIpPerMinute: 1000 };
  a = await startInProcessNode({ engine: engine(), prefix, schema, nodeId: 'node-a', app });
  b = await startInProcessNode({ engine: engine(), prefix, schema, nodeId: 'node-b', app });
});

afterAll(async () => {
  for (const s of bots) s.disconnect();
  if (victim && victim.child.exitCode === null) victim.child.kill('SIGKILL');
  await a?.close();
  await b?.close();
  await dropTestSchema(schema);
});

describe('GET /api/rooms/:code on any node', () => {
  it('node B finds a room of node A with its phase and player counts; an unknown code is 404 on both', async () => {
    const { host, code } = await createRoom(a.url, '10.30.0.1', 'Host');
    const first = await look(b.url, code, '10.30.0.2');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ok: true, data: { code, phase: 'lobby', players: 1, spectators: 0 } });

    // A player joins through node B, a spectator through node A: both nodes see the same counts.
    expect((await join(await bot(b.url, '10.30.0.3'), code, 'Guest')).ok).toBe(true);
    expect((await join(await bot(a.url, '10.30.0.4'), code, 'Watcher', 'spectator')).ok).toBe(true);
    const summary = { code, phase: 'lobby', players: 2, spectators: 1 };
    expect((await look(b.url, code, '10.30.0.2')).body).toEqual({ ok: true, data: summary });
    expect((await look(a.url, code, '10.30.0.2')).body).toEqual({ ok: true, data: summary });

    // The game starts on node A: node B's answer follows the phase.
    expect((await ask(host, 'game:start')).ok).toBe(true);
    let phase: Phase = 'lobby';
    const t0 = Date.now();
    while (phase === 'lobby' && Date.now() - t0 < 10_000) {
      const r = await look(b.url, code, '10.30.0.2');
      phase = (r.body.data as { phase: Phase }).phase;
      if (phase === 'lobby') await new Promise((r) => setTimeout(r, 100));
    }
    expect(['countdown', 'round', 'roundResults', 'finalResults']).toContain(phase);

    for (const url of [a.url, b.url]) {
      const missing = await look(url, unknownCode(code), '10.30.0.5');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ ok: false, error: { code: 'ROOM_NOT_FOUND', message: 'no such room' } });
    }
  });

  it('a room that closed is 404 from the other node at once', async () => {
    const { host, code } = await createRoom(a.url, '10.30.1.1', 'Leaver');
    expect((await look(b.url, code, '10.30.1.2')).status).toBe(200);
    expect((await ask(host, 'room:leave')).ok).toBe(true);
    expect((await look(b.url, code, '10.30.1.2')).status).toBe(404);
  });
});

describe('the room-code guessing budget holds over both nodes', () => {
  it('an address that used its misses on node A is refused on node B, over HTTP and room:join alike', async () => {
    const { code } = await createRoom(b.url, '10.31.0.1', 'Owner');
    const guesser = '10.31.0.2';
    const wrong = unknownCode(code);
    // The whole budget on node A: half over HTTP, half with room:join.
    const onA = await bot(a.url, guesser);
    const missesOnA: (number | string)[] = [];
    for (let i = 0; i < BUDGET; i++) {
      if (i % 2 === 0) missesOnA.push((await look(a.url, wrong, guesser)).status);
      else {
        const r = await join(onA, wrong, 'Guess');
        missesOnA.push(r.ok ? 'OK' : r.error.code);
      }
    }
    expect(missesOnA).toEqual([404, 'ROOM_NOT_FOUND', 404, 'ROOM_NOT_FOUND']);

    // Node B has never seen this address; it refuses the right code of its own room, over HTTP…
    const refused = await look(b.url, code, guesser);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('60');
    expect(refused.body).toEqual({
      ok: false,
      error: { code: 'RATE_LIMITED', message: 'too many wrong room codes from this address; wait a minute' },
    });
    // … and with room:join, as a single node does (same code, same message), on both nodes.
    for (const url of [b.url, a.url]) {
      const r = await join(await bot(url, guesser), code, 'Guess');
      expect(r).toEqual({
        ok: false,
        error: { code: 'RATE_LIMITED', message: 'too many wrong room codes from this address; wait a minute' },
      });
    }
    expect((await look(a.url, code, guesser)).status).toBe(429);
    // Another address is not affected, on either node.
    expect((await look(a.url, code, '10.31.0.3')).status).toBe(200);
    expect((await join(await bot(b.url, '10.31.0.3'), code, 'Friend')).ok).toBe(true);
  });

  it('guesses sprayed over both nodes at once, HTTP and room:join mixed, get no more misses through than the budget', async () => {
    const { code } = await createRoom(a.url, '10.32.0.1', 'Target');
    const sprayer = '10.32.0.2';
    const sockets = [await bot(a.url, sprayer), await bot(b.url, sprayer), await bot(a.url, sprayer)];
    // Well-formed codes (none of them the target's), so each is a real look-up.
    const alphabet = ROOM_CODE_ALPHABET;
    const guesses: string[] = Array.from(
      { length: 40 },
      (_, i) => `QQQ${alphabet[Math.floor(i / 8)]}${alphabet[i % 8]}`,
    ).filter((g) => g !== code);
    const answers = await Promise.all(
      guesses.map(async (guess, i) => {
        if (i % 2 === 0) return (await look(i % 4 === 0 ? a.url : b.url, guess, sprayer)).status;
        const r = await join(sockets[i % 3] as Bot, guess, `Spray${i}`);
        return r.ok ? 'OK' : r.error.code;
      }),
    );
    const missesThrough = answers.filter((x) => x === 404 || x === 'ROOM_NOT_FOUND').length;
    const refused = answers.filter((x) => x === 429 || x === 'RATE_LIMITED').length;
    console.log(
      `${guesses.length} guesses sprayed over 2 nodes: ${missesThrough} answered as misses, ${refused} refused`,
    );
    expect(missesThrough).toBe(BUDGET);
    expect(refused).toBe(guesses.length - BUDGET);
    // Then even the right code is refused, on both nodes.
    expect((await look(a.url, code, sprayer)).status).toBe(429);
    expect((await look(b.url, code, sprayer)).status).toBe(429);
  });
});

describe('a node killed with SIGKILL', () => {
  it("another node answers 404 for the dead node's room within 10 s, never its old summary", async () => {
    victim = await forkNodeProcess({ nodeId: 'node-v', prefix, schema });
    const { code } = await createRoom(victim.url, '10.33.0.1', 'Doomed');
    expect((await look(b.url, code, '10.33.0.2')).body).toEqual({
      ok: true,
      data: { code, phase: 'lobby', players: 1, spectators: 0 },
    });
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    const seen: { status: number; ms: number }[] = [];
    for (;;) {
      const r = await look(b.url, code, '10.33.0.2');
      seen.push({ status: r.status, ms: r.ms });
      if (r.status === 404 || Date.now() - killedAt > 15_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const after = Date.now() - killedAt;
    console.log(`SIGKILL: 404 after ${after} ms; answers meanwhile: ${JSON.stringify(seen)}`);
    expect(seen.at(-1)?.status).toBe(404);
    expect(after).toBeLessThan(10_000);
    // Meanwhile nothing but "unavailable": no stale summary, and no answer hung.
    expect(seen.slice(0, -1).every((s) => s.status === 503)).toBe(true);
    expect(Math.max(...seen.map((s) => s.ms))).toBeLessThan(5_000);
  }, 180_000);
});
