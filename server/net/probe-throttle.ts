/**
 * Throttles guessing room codes. A code is all it takes to join a room, so an address
 * whose look-ups keep missing (failed room:join, 404 from GET /api/rooms/:code) is
 * refused for a while: `failures` misses are allowed at once, then one per
 * `60 / failuresPerMinute` seconds.
 */
import { TokenBucket } from './rate-limiter.ts';

export class ProbeThrottle {
  private readonly misses = new Map<string, TokenBucket>();

  constructor(
    private readonly failuresPerMinute: number,
    private readonly now: () => number,
  ) {}

  /** True while `key` has used up its misses; look-ups are then refused without looking. */
  blocked(key: string): boolean {
    const b = this.misses.get(key);
    return b !== undefined && b.available() < 1;
  }

  recordMiss(key: string): void {
    let b = this.misses.get(key);
    if (!b) {
      if (this.misses.size > 10_000) this.prune();
      b = new TokenBucket(this.failuresPerMinute / 60, this.failuresPerMinute, this.now);
      this.misses.set(key, b);
    }
    b.tryTake();
  }

  private prune(): void {
    for (const [k, b] of this.misses) if (b.available() >= this.failuresPerMinute) this.misses.delete(k);
  }
}
