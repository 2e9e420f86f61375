import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../server/game/clock.ts';
import { ConcurrencyLimiter, KeyedRateLimiter, TokenBucket } from '../../../server/net/rate-limiter.ts';

describe('TokenBucket', () => {
  it('allows a burst of `capacity`, then refills at the rate', () => {
    const clock = createManualClock();
    const bucket = new TokenBucket(10, 10, clock.now);
    let taken = 0;
    for (let i = 0; i < 25; i++) if (bucket.tryTake()) taken++;
    expect(taken).toBe(10);
    clock.advance(100); // 1 token at 10/s
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(10_000); // refill is capped at capacity
    taken = 0;
    for (let i = 0; i < 25; i++) if (bucket.tryTake()) taken++;
    expect(taken).toBe(10);
  });

  it('lets a steady 5 frames/s through a 10/s limit and cuts 20/s to about 10/s', () => {
    const clock = createManualClock();
    const steady = new TokenBucket(10, 10, clock.now);
    let ok = 0;
    for (let i = 0; i < 50; i++) {
      if (steady.tryTake()) ok++;
      clock.advance(200);
    }
    expect(ok).toBe(50);
    const flood = new TokenBucket(10, 10, clock.now);
    ok = 0;
    for (let i = 0; i < 200; i++) {
      if (flood.tryTake()) ok++;
      clock.advance(50);
    }
    // 10 s of flooding: the 10-token burst + 10/s.
    expect(ok).toBeGreaterThanOrEqual(105);
    expect(ok).toBeLessThanOrEqual(111);
  });
});

describe('KeyedRateLimiter', () => {
  it('keeps separate buckets per key', () => {
    const clock = createManualClock();
    const limiter = new KeyedRateLimiter(1 / 60, 2, clock.now);
    expect(limiter.tryTake('a')).toBe(true);
    expect(limiter.tryTake('a')).toBe(true);
    expect(limiter.tryTake('a')).toBe(false);
    expect(limiter.tryTake('b')).toBe(true);
    clock.advance(60_000);
    expect(limiter.tryTake('a')).toBe(true);
  });
});

describe('ConcurrencyLimiter', () => {
  it('counts per key and frees on release', () => {
    const limiter = new ConcurrencyLimiter(2);
    expect(limiter.tryAcquire('ip')).toBe(true);
    expect(limiter.tryAcquire('ip')).toBe(true);
    expect(limiter.tryAcquire('ip')).toBe(false);
    expect(limiter.tryAcquire('other')).toBe(true);
    limiter.release('ip');
    expect(limiter.tryAcquire('ip')).toBe(true);
    expect(limiter.count('ip')).toBe(2);
  });
});
