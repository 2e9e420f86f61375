/**
 * Protocol edges a hostile client found (issue 17, items 6 and 7): unknown events with an
 * acknowledgement are answered (and cost the sender's control budget), and leaderboard
 * queries the API does not define are refused instead of silently answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemClock } from '../../../server/game/clock.ts';
import { ask, connectBot, markerEngine, startTestServer, type TestServer } from '../../helpers/server-harness.ts';

describe('protocol edges', () => {
  let server: TestServer;
  beforeAll(async () => {
    // A frozen clock: the control budget (5/s, burst 10) does not refill while the test runs, however slow the machine.
    const system = createSystemClock();
    const frozenAt = Date.now();
    server = await startTestServer({
      engine: markerEngine(),
      controlEventsPerSecond: 5,
      clock: { ...system, now: () => frozenAt },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers an unknown acknowledged event with INVALID_PAYLOAD, rate-limited like other control events', async () => {
    const bot = await connectBot(server.url);
    try {
      const first = await ask(bot, 'foo:bar', { x: 1 });
      expect(first).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      if (!first.ok) expect(first.error.message).toContain('foo:bar');
      // A flood of unknown events spends the same budget as known ones: most are refused as RATE_LIMITED,
      // and a known event sent right after is refused too.
      const flood = await Promise.all(Array.from({ length: 40 }, (_, i) => ask(bot, `nope:${i}`)));
      const codes = flood.map((a) => (a.ok ? 'OK' : a.error.code));
      expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThan(25);
      expect(codes.every((c) => c === 'RATE_LIMITED' || c === 'INVALID_PAYLOAD')).toBe(true);
      expect(await ask(bot, 'leaderboard:get', { period: 'all' })).toMatchObject({
        ok: false,
        error: { code: 'RATE_LIMITED' },
      });
      expect(bot.connected).toBe(true);
    } finally {
      bot.disconnect();
    }
  });

  it('refuses leaderboard queries with repeated, bracketed or non-decimal parameters', async () => {
    for (const query of [
      'period[]=day',
      'period=all&period=day',
      'limit=0x10',
      'limit=1e1',
      'limit=%2016',
      'limit=5&limit=6',
    ]) {
      const res = await fetch(`${server.url}/api/leaderboard?${query}`);
      const body = (await res.json()) as { ok: boolean; error?: { code: string } };
      expect({ query, status: res.status, code: body.error?.code }).toEqual({
        query,
        status: 400,
        code: 'INVALID_PAYLOAD',
      });
    }
    for (const query of ['', 'period=day', 'limit=16', 'period=week&limit=100']) {
      const res = await fetch(`${server.url}/api/leaderboard?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 200 });
    }
  });
});
