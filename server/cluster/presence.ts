/**
 * Cluster presence in Redis: which nodes are alive, which node owns which room code, and the
 * cluster-wide counters behind the per-address limits and the room cap. Every entry a node
 * writes carries a TTL that only its heartbeat renews, so a dead node's entries vanish within
 * `ttlMs` (3 s by default, well inside the 10 s the design allows). Scripts read Redis's clock
 * (TIME), not the nodes', so nodes with skewed clocks agree on what has expired.
 */
import type { Redis } from 'ioredis';

export interface NodeInfo {
  id: string;
  draining: boolean;
  rooms: number;
  connections: number;
  startedAt: number;
}

const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: room zset, room key; ARGV: code, node, ttl, cap → 1 claimed, 0 code taken, -1 cap reached. */
const CLAIM_CODE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`;

/** KEYS: room zset; ARGV: placeholder member, cap, hold ms → 1 admitted, 0 cap reached. */
const ADMIT_ROOM = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1`;

/**
 * The heartbeat, one script (ioredis pipelines wait forever while Redis is away; a script call
 * fails after the client's retries, so a beat either lands or reports the outage).
 * KEYS: node key, node zset, room zset, then the keys of this node's codes;
 * ARGV: node, ttl, node info, n, then the codes. Publishes the node's info, renews every code
 * it holds (re-claiming one that lapsed and nobody took); the first n are open rooms, counted
 * under the cap, the rest spare codes for rooms to come.
 */
const HEARTBEAT = `${NOW}
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[3], 'PX', ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ttl)
for i = 4, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v == ARGV[1] or not v then redis.call('SET', KEYS[i], ARGV[1], 'PX', ttl) end
end
for i = 1, tonumber(ARGV[4]) do redis.call('ZADD', KEYS[3], now + ttl, ARGV[4 + i]) end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ttl) end
return now`;

/** KEYS: window counter; ARGV: limit → 1 while within the limit this window. */
const TAKE_FROM_WINDOW = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 61000) end
if n <= tonumber(ARGV[1]) then return 1 end
return 0`;

/** KEYS: room zset, room key; ARGV: code, node → deletes the code if this node still owns it. */
const RELEASE_CODE = `redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 1`;

/** KEYS: lease zset; ARGV: member, max, ttl → 1 acquired, 0 at the limit. */
const ACQUIRE_LEASE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** KEYS: lease zsets; ARGV: ttl, then one member per key → renews (or, after a Redis restart, restores) leases this node holds. */
const REFRESH_LEASES = `${NOW}
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
end
return #KEYS`;

/**
 * The level of a token bucket of `ARGV[1]` tokens refilled evenly over `ARGV[2]` ms (a hash of
 * tokens and when they were counted; absent: full), as of `now`. Shared by the two scripts below.
 */
const BUCKET_LEVEL = `local cap = tonumber(ARGV[1])
local perMs = cap / tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = cap
if b[1] then tokens = math.min(cap, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * perMs) end
local wait = 0`;

/**
 * A room-code miss. KEYS: the address's bucket; ARGV: capacity, window ms → {1 counted within the
 * budget | 0 past it, ms until the next miss would be within it (0: now)}. The bucket expires once
 * it would be full again.
 */
const TAKE_PROBE = `${NOW}
${BUCKET_LEVEL}
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / perMs) + 1000)
if tokens < 1 then wait = math.ceil((1 - tokens) / perMs) end
return {taken, wait}`;

/**
 * A room look-up that goes to Redis anyway, in one round trip: KEYS: the address's bucket, the
 * room key; ARGV: capacity, window ms → {owner node or '', ms until the address may look again (0: now)}.
 */
const LOOKUP_ROOM = `${NOW}
${BUCKET_LEVEL}
if tokens < 1 then wait = math.ceil((1 - tokens) / perMs) end
return {redis.call('GET', KEYS[2]) or '', wait}`;

export class RedisPresence {
  constructor(
    private readonly redis: Redis,
    /** Key prefix: tests give each run its own, so runs sharing one Redis never meet. */
    readonly prefix: string,
    readonly nodeId: string,
    readonly ttlMs = 3000,
  ) {}

  private nodeKey(id: string): string {
    return `${this.prefix}node:${id}`;
  }
  private roomKey(code: string): string {
    return `${this.prefix}room:${code}`;
  }
  private get roomSet(): string {
    return `${this.prefix}rooms`;
  }
  private get nodeSet(): string {
    return `${this.prefix}nodes`;
  }
  private leaseKey(kind: string, key: string): string {
    return `${this.prefix}lease:${kind}:${key}`;
  }

  /** Publishes this node's info and renews its room codes (open rooms, then spares); returns the round trip in ms. */
  async heartbeat(info: NodeInfo, rooms: readonly string[], spares: readonly string[]): Promise<number> {
    const codes = [...rooms, ...spares];
    const t0 = performance.now();
    await this.redis.eval(
      HEARTBEAT,
      3 + codes.length,
      this.nodeKey(this.nodeId),
      this.nodeSet,
      this.roomSet,
      ...codes.map((c) => this.roomKey(c)),
      this.nodeId,
      this.ttlMs,
      JSON.stringify(info),
      rooms.length,
      ...codes,
    );
    return performance.now() - t0;
  }

  /** Live nodes (their info keys have not expired). */
  async nodes(): Promise<NodeInfo[]> {
    const ids = await this.redis.zrange(this.nodeSet, '0', '-1');
    if (ids.length === 0) return [];
    const values = await this.redis.mget(...ids.map((id) => this.nodeKey(id)));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as NodeInfo);
  }

  async isAlive(nodeId: string): Promise<boolean> {
    return (await this.redis.exists(this.nodeKey(nodeId))) === 1;
  }

  /** Which of `nodeIds` are alive, in one round trip. */
  async aliveOf(nodeIds: readonly string[]): Promise<Set<string>> {
    if (nodeIds.length === 0) return new Set();
    const values = await this.redis.mget(...nodeIds.map((id) => this.nodeKey(id)));
    return new Set(nodeIds.filter((_, i) => values[i] !== null));
  }

  /** The Redis connection name this node's command client uses (see connectedNodes). */
  static connectionName(prefix: string, nodeId: string): string {
    return `${prefix}node:${nodeId}`.replace(/[^\x21-\x7e]/g, '_');
  }

  /**
   * Nodes whose command connection is open in Redis right now, or null when CLIENT LIST is not
   * allowed (managed Redis often forbids it). A process that dies, even by SIGKILL, has its
   * connection closed by its kernel at once, so this sees a crash long before the TTL does.
   */
  async connectedNodes(): Promise<Set<string> | null> {
    let list: string;
    try {
      list = String(await this.redis.call('CLIENT', 'LIST', 'TYPE', 'normal'));
    } catch {
      return null;
    }
    const mark = RedisPresence.connectionName(this.prefix, '');
    const ids = new Set<string>();
    for (const m of list.matchAll(/(?:^| )name=(\S+)/gm)) {
      const name = m[1] as string;
      if (name.startsWith(mark)) ids.add(name.slice(mark.length));
    }
    return ids;
  }

  /**
   * The node is running: its entry is in Redis and its command connection is open (a crashed
   * process's connection closes at once, long before its entry expires).
   */
  async isRunning(nodeId: string): Promise<boolean> {
    if (!(await this.isAlive(nodeId))) return false;
    const connected = await this.connectedNodes();
    return connected === null || connected.has(nodeId);
  }

  async ownerOf(code: string): Promise<string | null> {
    return this.redis.get(this.roomKey(code));
  }

  /** Claims `code` for this node (SET NX with the TTL); false when another node holds it. */
  async claimCode(code: string): Promise<boolean> {
    const r = await this.redis.eval(CLAIM_CODE, 2, this.roomSet, this.roomKey(code), code, this.nodeId, this.ttlMs);
    return r === 1;
  }

  /**
   * Reserves a place under the cluster's room cap for a room about to be created: a placeholder
   * counted with the open rooms for `holdMs`, by when the room itself is counted.
   */
  async admitRoom(placeholder: string, cap: number, holdMs = 2000): Promise<boolean> {
    return (await this.redis.eval(ADMIT_ROOM, 1, this.roomSet, placeholder, cap, holdMs)) === 1;
  }

  async releaseCode(code: string): Promise<void> {
    await this.redis.eval(RELEASE_CODE, 2, this.roomSet, this.roomKey(code), code, this.nodeId);
  }

  /** Open rooms in the cluster (with the creations admitted but not yet counted). */
  async openRooms(): Promise<number> {
    return this.redis.zcount(this.roomSet, Date.now(), '+inf');
  }

  /** A lease on one of at most `max` slots under `key` (e.g. connections of one address). */
  async acquireLease(kind: string, key: string, member: string, max: number): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE_LEASE, 1, this.leaseKey(kind, key), member, max, this.ttlMs)) === 1;
  }

  async releaseLease(kind: string, key: string, member: string): Promise<void> {
    await this.redis.zrem(this.leaseKey(kind, key), member);
  }

  async refreshLeases(kind: string, leases: readonly { key: string; member: string }[]): Promise<void> {
    if (leases.length === 0) return;
    await this.redis.eval(
      REFRESH_LEASES,
      leases.length,
      ...leases.map((l) => this.leaseKey(kind, l.key)),
      this.ttlMs,
      ...leases.map((l) => l.member),
    );
  }

  /** Fixed one-minute window counter: true while `key` has taken at most `perMinute` this minute. */
  async takeFromWindow(kind: string, key: string, perMinute: number): Promise<boolean> {
    const k = `${this.prefix}window:${kind}:${key}:${Math.floor(Date.now() / 60_000)}`;
    return (await this.redis.eval(TAKE_FROM_WINDOW, 1, k, perMinute)) === 1;
  }

  private probeKey(key: string): string {
    return `${this.prefix}probe:${key}`;
  }

  /**
   * Counts a room-code miss by `key` against a bucket of `failures` per `windowMs`, on Redis's
   * clock: whether it was within the budget, and how long until the next one would be.
   */
  async takeProbe(key: string, failures: number, windowMs: number): Promise<{ within: boolean; waitMs: number }> {
    const [taken, wait] = (await this.redis.eval(TAKE_PROBE, 1, this.probeKey(key), failures, windowMs)) as [
      number,
      number,
    ];
    return { within: taken === 1, waitMs: wait };
  }

  /** Who owns room `code`, and how long `key` must wait before looking (0: it may), in one round trip. */
  async lookupRoom(
    code: string,
    key: string,
    failures: number,
    windowMs: number,
  ): Promise<{ owner: string | null; waitMs: number }> {
    const [owner, wait] = (await this.redis.eval(
      LOOKUP_ROOM,
      2,
      this.probeKey(key),
      this.roomKey(code),
      failures,
      windowMs,
    )) as [string, number];
    return { owner: owner === '' ? null : owner, waitMs: wait };
  }

  /** Removes this node's entries at once (a clean exit; a crash leaves them to expire). */
  async deregister(codes: readonly string[]): Promise<void> {
    for (const c of codes) await this.releaseCode(c);
    await this.redis.del(this.nodeKey(this.nodeId));
    await this.redis.zrem(this.nodeSet, this.nodeId);
  }

  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.redis.ping();
    return performance.now() - t0;
  }
}
