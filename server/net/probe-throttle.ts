/**
 * Throttles guessing room codes. A code is all it takes to join a room, so an address
 * whose look-ups keep missing (failed room:join, 404 from GET /api/rooms/:code) is
 * refused for a while: `failures` misses are allowed at once, then one per
 * `windowMs / failures` (a minute by default: FAILED_JOINS_PER_IP_PER_MINUTE).
 *
 * `RoomProbes` is what the handlers use; `ProbeThrottle` is the in-process implementation (a
 * single node, and each cluster node's fallback). Cluster mode counts misses in Redis so the
 * budget holds over every node together (server/cluster/room-probes.ts).
 */
import { TokenBucket } from './rate-limiter.ts';

/** What an address that used up its room-code misses is told (room:join, GET /api/rooms/:code). */
export const TOO_MANY_WRONG_CODES = 'too many wrong room codes from this address; wait a minute';

export interface RoomProbes {
  /**
   * True while `key` is known to have used up its misses: its look-ups are then refused without
   * looking. Asked before every look-up, hits included, so it never waits on I/O.
   */
  blocked(key: string): boolean;
  /**
   * Counts a look-up by `key` that missed. False when that miss was past the budget: answer it as
   * refused (RATE_LIMITED / 429), not as "no such room", so misses past the budget tell nothing.
   * Synchronous in-process; a promise where misses are counted elsewhere (Redis). Never rejects.
   */
  recordMiss(key: string): boolean | Promise<boolean>;
}

export class ProbeThrottle implements RoomProbes {
  private readonly misses = new Map<string, TokenBucket>();

  constructor(
    /** Misses allowed at once, refilled evenly over `windowMs` (FAILED_JOINS_PER_IP_PER_MINUTE). */
    private readonly failures: number,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
  ) {}

  blocked(key: string): boolean {
    const b = this.misses.get(key);
    return b !== undefined && b.available() < 1;
  }

  recordMiss(key: string): boolean {
    let b = this.misses.get(key);
    if (!b) {
      if (this.misses.size > 10_000) this.prune();
      b = new TokenBucket((this.failures * 1000) / this.windowMs, this.failures, this.now);
      this.misses.set(key, b);
    }
    return b.tryTake();
  }

  private prune(): void {
    for (const [k, b] of this.misses) if (b.available() >= this.failures) this.misses.delete(k);
  }
}
