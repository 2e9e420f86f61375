/**
 * Limits beyond "per address" (issue 17, item 12): a global room cap, guessing room codes
 * gets refused (over sockets and over HTTP), room look-ups are throttled, and an IPv6
 * client cannot dodge its limits by rotating addresses inside its /64.
 * The server trusts X-Forwarded-For here so that one test machine can speak from many addresses.
 */
import { describe, expect, it } from 'vitest';
import type { JoinResult } from '../../../shared/protocol.ts';
import { ask, type Bot, connectBot, markerEngine, newToken, startTestServer } from '../../helpers/server-harness.ts';

async function from(url: string, address: string): Promise<Bot> {
  return connectBot(url, { extraHeaders: { 'x-forwarded-for': address } });
}

async function create(bot: Bot, name: string) {
  return ask<JoinResult>(bot, 'room:create', { nickname: name, playerToken: newToken(name) });
}

describe('abuse limits', () => {
  it('refuses new rooms past MAX_ROOMS with a clear message, and frees the slot when a room closes', async () => {
    const server = await startTestServer({ engine: markerEngine(), trustProxy: true, maxRooms: 3 });
    const bots: Bot[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const bot = await from(server.url, `10.0.0.${i + 1}`);
        bots.push(bot);
        expect((await create(bot, `Host${i}`)).ok).toBe(true);
      }
      const late = await from(server.url, '10.0.1.1');
      bots.push(late);
      const refused = await create(late, 'Late');
      expect(refused).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      if (!refused.ok) expect(refused.error.message).toMatch(/server is full/);
      expect(server.app.rooms.size).toBe(3);
      expect((await ask(bots[0] as Bot, 'room:leave')).ok).toBe(true); // its only member leaves: the room closes
      expect((await create(late, 'Late')).ok).toBe(true);
    } finally {
      for (const b of bots) b.disconnect();
      await server.close();
    }
  });

  it('refuses room:join from an address that keeps guessing codes, even once it guesses right', async () => {
    const server = await startTestServer({ engine: markerEngine(), trustProxy: true, failedJoinsPerIpPerMinute: 5 });
    const bots: Bot[] = [];
    try {
      const host = await from(server.url, '10.1.0.1');
      bots.push(host);
      const room = await create(host, 'Host');
      if (!room.ok) throw new Error(room.error.message);
      const code = room.data.state.code;
      const guesser = await from(server.url, '10.1.0.2');
      bots.push(guesser);
      const wrong = code === 'AAAAA' ? 'BBBBB' : 'AAAAA';
      const codes: string[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await ask(guesser, 'room:join', { code: wrong, nickname: 'Guess', playerToken: newToken('g') });
        codes.push(r.ok ? 'OK' : r.error.code);
      }
      expect(codes).toEqual([...Array(5).fill('ROOM_NOT_FOUND'), 'RATE_LIMITED', 'RATE_LIMITED']);
      const right = await ask(guesser, 'room:join', { code, nickname: 'Guess', playerToken: newToken('g') });
      expect(right).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      // Over HTTP the same address is refused too; another address joins normally.
      expect(
        (await fetch(`${server.url}/api/rooms/${code}`, { headers: { 'x-forwarded-for': '10.1.0.2' } })).status,
      ).toBe(429);
      const friend = await from(server.url, '10.1.0.3');
      bots.push(friend);
      expect((await ask(friend, 'room:join', { code, nickname: 'Friend', playerToken: newToken('f') })).ok).toBe(true);
    } finally {
      for (const b of bots) b.disconnect();
      await server.close();
    }
  });

  it('throttles GET /api/rooms/:code per address and counts 404s as guesses', async () => {
    const server = await startTestServer({
      engine: markerEngine(),
      trustProxy: true,
      roomLookupsPerIpPerMinute: 10,
      failedJoinsPerIpPerMinute: 3,
    });
    const host = await from(server.url, '10.2.0.1');
    try {
      const room = await create(host, 'Host');
      if (!room.ok) throw new Error(room.error.message);
      const look = async (code: string, address: string) =>
        (await fetch(`${server.url}/api/rooms/${code}`, { headers: { 'x-forwarded-for': address } })).status;
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push(await look(room.data.state.code, '10.2.0.2'));
      expect(statuses).toEqual([...Array(10).fill(200), 429, 429]);
      const res = await fetch(`${server.url}/api/rooms/${room.data.state.code}`, {
        headers: { 'x-forwarded-for': '10.2.0.2' },
      });
      expect(res.headers.get('retry-after')).toBe('60');
      expect(await res.json()).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      const misses: number[] = [];
      for (let i = 0; i < 5; i++) misses.push(await look('ZZZZZ', '10.2.0.3'));
      expect(misses).toEqual([404, 404, 404, 429, 429]);
      expect(await look(room.data.state.code, '10.2.0.3')).toBe(429);
      expect(await look(room.data.state.code, '10.2.0.4')).toBe(200);
    } finally {
      host.disconnect();
      await server.close();
    }
  });

  it('counts every address of an IPv6 /64 as one address', async () => {
    const server = await startTestServer({ engine: markerEngine(), trustProxy: true, roomsPerIpPerMinute: 2 });
    const bots: Bot[] = [];
    try {
      const results: string[] = [];
      for (const address of ['2001:db8:5:6::1', '2001:db8:5:6:aaaa:bbbb:cccc:dddd', '2001:db8:5:6::ffff']) {
        const bot = await from(server.url, address);
        bots.push(bot);
        const r = await create(bot, 'Six');
        results.push(r.ok ? 'OK' : r.error.code);
      }
      expect(results).toEqual(['OK', 'OK', 'RATE_LIMITED']);
      const neighbour = await from(server.url, '2001:db8:5:7::1'); // the next /64 is someone else
      bots.push(neighbour);
      expect((await create(neighbour, 'Next')).ok).toBe(true);
    } finally {
      for (const b of bots) b.disconnect();
      await server.close();
    }
  });
});
