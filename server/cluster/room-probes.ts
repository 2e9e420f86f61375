/**
 * The room-code guessing budget (FAILED_JOINS_PER_IP_PER_MINUTE) over the whole cluster: each
 * address's misses are counted in one token bucket in Redis (a Lua script on Redis's clock, the
 * key expiring once the bucket is full again), so spreading guesses over N nodes behind a load
 * balancer gets no more misses through than one node would.
 *
 * - `recordMiss` counts in Redis before the miss is answered, and says whether it was within the
 *   budget; one past it is answered as refused, not "no such room", so however many guesses race
 *   in at once on however many nodes, at most the budget of them learn that a code is wrong.
 * - `blocked` answers from memory, with no round trip: "blocked until" as learned from Redis's
 *   answers here. In cluster mode every look-up goes to Redis anyway to find the room's owner
 *   (room:join in the gateway, GET /api/rooms/:code in ClusterNode.findRoom, this node's own rooms
 *   included), and `lookup` reads the address's bucket in that same round trip: a block earned on
 *   other nodes holds on the first look-up here, right code or not, at no extra round trip.
 * - Redis unreachable: the node's in-process throttle, which sees every miss made here, decides
 *   (logged once per outage), rather than letting guesses through or refusing everyone.
 */
import type { Logger } from '../logging.ts';
import type { ProbeThrottle, RoomProbes } from '../net/probe-throttle.ts';
import type { RedisPresence } from './presence.ts';

export interface RedisRoomProbesOptions {
  presence: RedisPresence;
  /** This node's own count of the misses made here: the fallback while Redis does not answer. */
  local: ProbeThrottle;
  /** Misses allowed at once, refilled evenly over `windowMs`. */
  failures: number;
  windowMs?: number;
  log: Logger;
  /** How long a Redis answer may take before the fallback decides (the player waits that long at most). */
  timeoutMs?: number;
  /** This node's clock, for the "blocked until" it learns (durations from Redis, so skew does not matter). */
  now?: () => number;
}

export class RedisRoomProbes implements RoomProbes {
  private readonly until = new Map<string, number>();
  private readonly windowMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private degraded = false;

  constructor(private readonly options: RedisRoomProbesOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.now = options.now ?? Date.now;
  }

  blocked(key: string): boolean {
    if (this.options.local.blocked(key)) return true;
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  async recordMiss(key: string): Promise<boolean> {
    // Counted here too: the fallback needs this node's misses when Redis goes away.
    const locally = this.options.local.recordMiss(key);
    try {
      const { within, waitMs } = await withTimeout(
        this.options.presence.takeProbe(key, this.options.failures, this.windowMs),
        this.timeoutMs,
      );
      this.learn(key, waitMs);
      this.answered();
      return within;
    } catch (e) {
      this.unanswered(e as Error);
      return locally;
    }
  }

  /**
   * Who owns room `code` (null: nobody), and whether `key` is blocked, in one round trip (what it
   * learns of `key` is remembered for `blocked`). Rejects when Redis does not answer within the timeout.
   */
  async lookup(code: string, key: string): Promise<{ owner: string | null; blocked: boolean }> {
    const { owner, waitMs } = await withTimeout(
      this.options.presence.lookupRoom(code, key, this.options.failures, this.windowMs),
      this.timeoutMs,
    );
    this.learn(key, waitMs);
    this.answered();
    return { owner, blocked: waitMs > 0 || this.options.local.blocked(key) };
  }

  private learn(key: string, waitMs: number): void {
    if (waitMs <= 0) {
      this.until.delete(key);
      return;
    }
    if (this.until.size > 10_000) {
      const t = this.now();
      for (const [k, u] of this.until) if (u <= t) this.until.delete(k);
    }
    this.until.set(key, this.now() + waitMs);
  }

  private answered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.options.log.info('room-code guesses are counted over the whole cluster again (Redis answers)');
  }

  private unanswered(e: Error): void {
    if (this.degraded) return;
    this.degraded = true;
    this.options.log.warn(
      { err: e.message },
      'Redis does not answer: room-code guesses are counted by each node alone until it does',
    );
  }
}

/** `promise`, or a rejection once `ms` passed (the Redis client may wait much longer while reconnecting). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
