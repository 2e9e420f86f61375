/**
 * The room-code guessing budget (FAILED_JOINS_PER_IP_PER_MINUTE): one contract, run over the
 * in-process throttle (a single node; a fake clock) and over the cluster's count in Redis (the
 * machine's Redis, its own key prefix, a window of seconds on Redis's clock). Then what only the
 * Redis one does: nodes share one budget, racing misses get no more than it through, and while
 * Redis does not answer each node's own count decides.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../../bench/free-port.ts';
import { RedisPresence } from '../../../server/cluster/presence.ts';
import { RedisRoomProbes } from '../../../server/cluster/room-probes.ts';
import { silentLogger } from '../../../server/logging.ts';
import { ProbeThrottle, type RoomProbes } from '../../../server/net/probe-throttle.ts';
import { newTestPrefix, redisClient } from './cluster-support.ts';

const FAILURES = 3;

interface Subject {
  /** A fresh budget of FAILURES misses per `windowMs`. */
  make(): RoomProbes;
  windowMs: number;
  /** Lets `ms` pass on the clock the budget refills by. */
  advance(ms: number): Promise<void>;
}

let redis: Redis;
const prefix = newTestPrefix('probes');
beforeAll(async () => {
  redis = await redisClient();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

let fakeNow = 1_000_000;
const local: Subject = {
  make: () => new ProbeThrottle(FAILURES, () => fakeNow),
  windowMs: 60_000,
  advance: async (ms) => {
    fakeNow += ms;
  },
};

/** Redis refills on its own clock: a window of 3 s (one miss a second) keeps the waits short. */
const REDIS_WINDOW_MS = 3000;
let nodeCount = 0;
function redisProbes(options: { client?: Redis; timeoutMs?: number; log?: ReturnType<typeof silentLogger> } = {}) {
  const presence = new RedisPresence(options.client ?? redis, prefix, `node-${++nodeCount}`);
  return new RedisRoomProbes({
    presence,
    local: new ProbeThrottle(FAILURES, Date.now, REDIS_WINDOW_MS),
    failures: FAILURES,
    windowMs: REDIS_WINDOW_MS,
    log: options.log ?? silentLogger(),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
}
const inRedis: Subject = {
  make: () => redisProbes(),
  windowMs: REDIS_WINDOW_MS,
  advance: (ms) => new Promise((r) => setTimeout(r, ms)),
};

let keyCount = 0;
const freshKey = () => `10.9.${Math.floor(++keyCount / 250)}.${keyCount % 250}`;

describe.each([
  ['in process (one node)', local],
  ['in Redis (the cluster)', inRedis],
])('the room-code guessing budget, %s', (_name, subject) => {
  it('lets FAILURES misses through, then blocks that address (only it) and refuses further misses', async () => {
    const probes = subject.make();
    const key = freshKey();
    const other = freshKey();
    const answers: boolean[] = [];
    for (let i = 0; i < FAILURES; i++) {
      expect(probes.blocked(key)).toBe(false);
      answers.push(await probes.recordMiss(key));
    }
    expect(answers).toEqual(Array(FAILURES).fill(true));
    expect(probes.blocked(key)).toBe(true);
    expect(await probes.recordMiss(key)).toBe(false);
    expect(probes.blocked(other)).toBe(false);
    expect(await probes.recordMiss(other)).toBe(true);
  });

  it('refills one miss per window / FAILURES, and the whole budget after a window', async () => {
    const probes = subject.make();
    const key = freshKey();
    for (let i = 0; i < FAILURES; i++) await probes.recordMiss(key);
    expect(probes.blocked(key)).toBe(true);
    await subject.advance(subject.windowMs / FAILURES + subject.windowMs / 30);
    expect(probes.blocked(key)).toBe(false);
    expect(await probes.recordMiss(key)).toBe(true);
    expect(probes.blocked(key)).toBe(true);
    await subject.advance(subject.windowMs + subject.windowMs / 30);
    expect(probes.blocked(key)).toBe(false);
    const again: boolean[] = [];
    for (let i = 0; i <= FAILURES; i++) again.push(await probes.recordMiss(key));
    expect(again).toEqual([...Array(FAILURES).fill(true), false]);
  });
});

describe('the budget in Redis, over several nodes', () => {
  it('is one budget for all nodes: misses spread over two count together, and both then refuse', async () => {
    const [a, b] = [redisProbes(), redisProbes()];
    const key = freshKey();
    const answers: boolean[] = [];
    for (let i = 0; i < FAILURES + 2; i++) answers.push(await (i % 2 === 0 ? a : b).recordMiss(key));
    expect(answers).toEqual([...Array(FAILURES).fill(true), false, false]);
    // A third node that never saw this address learns it is blocked from the look-up it makes anyway.
    const c = redisProbes();
    expect(c.blocked(key)).toBe(false);
    expect(await c.lookup('ZZZZZ', key)).toEqual({ owner: null, blocked: true });
    expect(c.blocked(key)).toBe(true);
    // And a look-up reads, it does not count: another address looking stays unblocked.
    const reader = freshKey();
    for (let i = 0; i < FAILURES + 2; i++) expect((await c.lookup('ZZZZZ', reader)).blocked).toBe(false);
  });

  it('racing misses on three nodes get exactly the budget through, however many race', async () => {
    const nodes = [redisProbes(), redisProbes(), redisProbes()];
    const key = freshKey();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => nodes[i % 3]?.recordMiss(key)));
    expect(answers.filter((a) => a === true)).toHaveLength(FAILURES);
    for (const n of nodes) expect(n.blocked(key)).toBe(true);
  });

  it('while Redis does not answer, each node counts alone (not unthrottled, not refusing all), and says so once', async () => {
    const port = await freePort();
    const dead = new Redis(`redis://127.0.0.1:${port}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 200,
    });
    dead.on('error', () => {});
    const log = silentLogger();
    const warn = vi.spyOn(log, 'warn');
    const probes = redisProbes({ client: dead, timeoutMs: 300, log });
    try {
      const key = freshKey();
      const t0 = Date.now();
      const answers: boolean[] = [];
      for (let i = 0; i <= FAILURES; i++) answers.push(await probes.recordMiss(key));
      expect(answers).toEqual([...Array(FAILURES).fill(true), false]);
      expect(probes.blocked(key)).toBe(true);
      expect(probes.blocked(freshKey())).toBe(false);
      // Each answer waited at most about the timeout.
      expect(Date.now() - t0).toBeLessThan((FAILURES + 1) * 1500);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[1])).toMatch(/counted by each node alone/);
      // A look-up, which needs Redis, fails (the caller answers 503 / UNAVAILABLE) rather than hang.
      await expect(probes.lookup('ZZZZZ', freshKey())).rejects.toThrow();
    } finally {
      dead.disconnect();
    }
  });
});
