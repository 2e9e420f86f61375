/**
 * Cluster mode for one game node (REDIS_URL set): the Socket.IO Redis adapter for room
 * broadcasts, presence and cluster-wide limits in Redis, event forwarding between gateway and
 * owner nodes over one Redis inbox channel per node, a heartbeat that renews this node's
 * entries, and draining. Everything here talks to Redis; the game core stays untouched.
 */
import { randomBytes } from 'node:crypto';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';
import type { Room } from '../game/room.ts';
import type { Logger } from '../logging.ts';
import { withLocalDelivery } from '../net/local-delivery.ts';
import { ProbeThrottle, type RoomProbes } from '../net/probe-throttle.ts';
import { type RoomLookup, type RoomSummary, summarizeRoom } from '../net/room-summary.ts';
import type { ArenaServer, ArenaSocket } from '../net/types.ts';
import { roomChannel } from '../net/types.ts';
import { Gateway, OWNER_STOPPED_REASON } from './gateway.ts';
import { type ClusterMessage, decodeMessage, encodeMessage } from './messages.ts';
import { Owner } from './owner.ts';
import { type NodeInfo, RedisPresence } from './presence.ts';
import { RoomCodePool } from './room-code-pool.ts';
import { RedisRoomProbes, withTimeout } from './room-probes.ts';
import type { ClusterHost, ClusterPlug, ClusterView } from './types.ts';

/** How long a Redis command may go unanswered before it fails (see the constructor). */
const REDIS_COMMAND_TIMEOUT_MS = 3000;

export interface ClusterOptions {
  redisUrl: string;
  /** Unique per process (default: random). */
  nodeId?: string;
  /** Redis key and channel prefix (default "arena:"); tests use one per run. */
  prefix?: string;
  log: Logger;
  /** Open rooms in the whole cluster at most. */
  roomCap: number;
  maxConnectionsPerIp: number;
  roomsPerIpPerMinute: number;
  /** Round trip to the leaderboard database, for /healthz (null when there is none to ping). */
  pingDatabase?: () => Promise<number>;
  heartbeatMs?: number;
  /** How long a node's Redis entries outlive its last heartbeat. */
  entryTtlMs?: number;
  forwardTimeoutMs?: number;
  /** GET /api/rooms/:code for a room of another node: how long that node may take to answer (default 1.5 s). */
  lookupTimeoutMs?: number;
  registry?: Registry;
}

const RUNNING_PHASES = new Set(['countdown', 'round', 'roundResults']);
export const DRAIN_NOTICE =
  'this server is restarting; your finished games are saved. Create or join a room to play again.';

export class ClusterNode implements ClusterPlug {
  readonly nodeId: string;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly adapterPub: Redis;
  private readonly adapterSub: Redis;
  private readonly presence: RedisPresence;
  private readonly codes: RoomCodePool;
  private readonly prefix: string;
  private readonly startedAt = Date.now();
  private host: ClusterHost | null = null;
  private gateway: Gateway | null = null;
  private owner: Owner | null = null;
  private drainingFlag = false;
  private heldCodes = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private ownerCheckTimer: NodeJS.Timeout | null = null;
  private dbTimer: NodeJS.Timeout | null = null;
  private readonly leases = new Map<string, { key: string; member: string }>();
  private lastView: ClusterView;
  private closed = false;
  private forwardedOut = 0;
  private forwardedIn = 0;
  private beating = false;
  private lastBeatAt = 0;
  /** Until then, nodes missing from Redis are not taken for dead (Redis just came back, maybe empty). */
  private trustPresenceAfter = 0;
  private probes: RedisRoomProbes | null = null;
  /** Room look-ups this node asked other nodes (GET /api/rooms/:code), by id. */
  private readonly lookups = new Map<
    number,
    { resolve: (room: RoomSummary | null) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextLookup = 1;

  private constructor(private readonly options: ClusterOptions) {
    this.nodeId = options.nodeId ?? `node-${randomBytes(4).toString('hex')}`;
    this.prefix = options.prefix ?? 'arena:';
    const redisOptions = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true };
    // A Redis that keeps the connection open but stops answering (hung, a half-open link) would
    // leave every command waiting forever: a player's connection or join never answered. Commands
    // fail after this long instead, and the player is told the servers cannot reach each other.
    const commandOptions = { ...redisOptions, commandTimeout: REDIS_COMMAND_TIMEOUT_MS };
    this.redis = new Redis(options.redisUrl, {
      ...commandOptions,
      // Named, so other nodes see in CLIENT LIST when this process's connection closes (presence.ts).
      connectionName: RedisPresence.connectionName(this.prefix, this.nodeId),
    });
    this.adapterPub = new Redis(options.redisUrl, commandOptions);
    // Subscriber connections only (re)subscribe: those commands wait for Redis to return rather than
    // fail after two retries (a failed re-subscribe is a rejection nobody could handle).
    const subscriberOptions = { ...redisOptions, maxRetriesPerRequest: null };
    this.subscriber = new Redis(options.redisUrl, subscriberOptions);
    this.adapterSub = new Redis(options.redisUrl, subscriberOptions);
    for (const r of [this.redis, this.subscriber, this.adapterPub, this.adapterSub]) {
      // ioredis reconnects by itself; an unhandled 'error' event would crash the process instead.
      r.on('error', (e: Error) => options.log.warn({ err: e.message }, 'redis connection error'));
    }
    this.presence = new RedisPresence(this.redis, this.prefix, this.nodeId, options.entryTtlMs ?? 4000);
    // A restarted Redis knows no node until each has beaten again: wait one entry lifetime before
    // reading absence as death, or every room would look orphaned the moment Redis returns.
    this.redis.on('ready', () => {
      this.trustPresenceAfter = Date.now() + this.presence.ttlMs;
    });
    this.codes = new RoomCodePool(this.presence);
    this.lastView = {
      nodeId: this.nodeId,
      draining: false,
      roomsOwned: 0,
      nodesAlive: 0,
      redis: { reachable: false, latencyMs: null },
      postgres: options.pingDatabase ? { reachable: false, latencyMs: null } : null,
    };
  }

  /** Connects to Redis (failing fast when it is unreachable) and subscribes to this node's inbox. */
  static async start(options: ClusterOptions): Promise<ClusterNode> {
    const node = new ClusterNode(options);
    try {
      await Promise.all([node.redis, node.subscriber, node.adapterPub, node.adapterSub].map((r) => r.connect()));
    } catch (e) {
      node.disconnectAll();
      throw new Error(`cannot reach Redis at REDIS_URL (${(e as Error).message})`);
    }
    await node.subscriber.subscribe(node.inbox(node.nodeId));
    node.subscriber.on('message', (_channel: string, text: string) => node.onMessage(text));
    await node.codes.ensure();
    return node;
  }

  get draining(): boolean {
    return this.drainingFlag;
  }

  private inbox(nodeId: string): string {
    return `${this.prefix}inbox:${nodeId}`;
  }

  private send = (node: string, message: ClusterMessage): void => {
    this.redis.publish(this.inbox(node), encodeMessage(message)).catch((e: Error) => {
      this.options.log.warn({ err: e.message, to: node, type: message.t }, 'could not forward to a node');
    });
  };

  adoptServer(io: ArenaServer): void {
    // The adapter publishes without awaiting; while Redis is down each publish would reject unhandled,
    // which ends a Node process. Lost broadcasts are harmless (the next room:state is a full snapshot).
    const publish = this.adapterPub.publish.bind(this.adapterPub) as (...args: unknown[]) => Promise<number>;
    const quiet = (...args: unknown[]): Promise<number> => {
      const sent = publish(...args);
      sent.catch(() => {});
      return sent;
    };
    (this.adapterPub as unknown as { publish: typeof quiet }).publish = quiet;
    // Emits addressed only to this node's sockets stay off Redis (local-delivery.ts).
    io.adapter(
      withLocalDelivery(createAdapter(this.adapterPub, this.adapterSub, { key: `${this.prefix}sio` }), 'cluster'),
    );
    io.use((socket, next) => {
      const key = this.host?.clientKey(socket) ?? socket.handshake.address;
      const member = `${this.nodeId}/${socket.id}`;
      this.presence
        .acquireLease('conn', key, member, this.options.maxConnectionsPerIp)
        .then((ok) => {
          if (!ok) return next(new Error('RATE_LIMITED: too many connections from this address'));
          this.leases.set(socket.id, { key, member });
          next();
        })
        .catch((e: Error) => {
          this.options.log.error({ err: e.message }, 'connection limit check failed');
          next(new Error('UNAVAILABLE: the game servers cannot reach Redis right now'));
        });
    });
  }

  roomProbes(local: ProbeThrottle, failuresPerMinute: number): RoomProbes {
    this.probes = new RedisRoomProbes({
      presence: this.presence,
      local,
      failures: failuresPerMinute,
      log: this.options.log,
    });
    return this.probes;
  }

  attach(host: ClusterHost): void {
    this.host = host;
    // The application asks for its probes while it is wired; a host that did not gets the default budget.
    const probes = this.probes ?? (this.roomProbes(new ProbeThrottle(10, Date.now), 10) as RedisRoomProbes);
    const common = {
      nodeId: this.nodeId,
      presence: this.presence,
      send: this.send,
      host,
      log: this.options.log,
      isDraining: () => this.drainingFlag,
      ensureRoomCode: () => this.codes.ensure(),
    };
    this.gateway = new Gateway({
      ...common,
      pickCreateNode: () => this.pickCreateNode(),
      probes,
      roomCap: this.options.roomCap,
      roomsPerIpPerMinute: this.options.roomsPerIpPerMinute,
      ackTimeoutMs: this.options.forwardTimeoutMs ?? 5000,
      forwarded: () => {
        this.forwardedOut++;
      },
    });
    this.owner = new Owner(common);
    const gateway = this.gateway;
    host.io.on('connection', (socket: ArenaSocket) => {
      socket.use(gateway.middleware(socket));
      socket.on('disconnect', () => {
        gateway.socketGone(socket);
        const lease = this.leases.get(socket.id);
        if (lease) {
          this.leases.delete(socket.id);
          this.presence.releaseLease('conn', lease.key, lease.member).catch(() => {});
        }
      });
    });
    this.registerMetrics();
    const beat = () => {
      // One beat at a time: while Redis is away a beat waits for the client's retries.
      if (this.beating) return;
      this.beating = true;
      this.heartbeat()
        .catch((e: Error) => this.options.log.warn({ err: e.message }, 'cluster heartbeat failed'))
        .finally(() => {
          this.beating = false;
        });
    };
    beat();
    this.heartbeatTimer = setInterval(beat, this.options.heartbeatMs ?? 1000);
    this.heartbeatTimer.unref();
    // Dead owners are looked for twice a beat: their players should hear of it within a couple of seconds.
    let checking = false;
    this.ownerCheckTimer = setInterval(
      () => {
        if (checking || this.closed || Date.now() < this.trustPresenceAfter) return;
        checking = true;
        this.gateway
          ?.checkOwners()
          .catch((e: Error) => this.options.log.warn({ err: e.message }, 'owner check failed'))
          .finally(() => {
            checking = false;
          });
      },
      (this.options.heartbeatMs ?? 1000) / 2,
    );
    this.ownerCheckTimer.unref();
    if (this.options.pingDatabase) {
      const ping = this.options.pingDatabase;
      const check = () => {
        ping()
          .then((ms) => {
            this.lastView.postgres = { reachable: true, latencyMs: round(ms) };
          })
          .catch(() => {
            this.lastView.postgres = { reachable: false, latencyMs: null };
          });
      };
      check();
      this.dbTimer = setInterval(check, 5000);
      this.dbTimer.unref();
    }
  }

  takeRoomCode(): string | null {
    const code = this.codes.take();
    if (code) this.heldCodes.add(code);
    return code;
  }

  view(): ClusterView {
    // Redis counts as reachable while heartbeats land: a beat that hangs is an outage too.
    const beatsLanding = Date.now() - this.lastBeatAt < 2.5 * (this.options.heartbeatMs ?? 1000);
    return {
      ...this.lastView,
      redis: beatsLanding ? this.lastView.redis : { reachable: false, latencyMs: null },
      draining: this.drainingFlag,
      roomsOwned: this.host?.rooms.size ?? 0,
    };
  }

  private onMessage(text: string): void {
    let m: ClusterMessage;
    try {
      m = decodeMessage(text);
    } catch (e) {
      this.options.log.warn({ err: (e as Error).message }, 'unreadable cluster message');
      return;
    }
    if (m.t === 'event') {
      this.forwardedIn++;
      this.owner?.onEvent(m).catch((e: Error) => this.options.log.error({ err: e }, 'forwarded event failed'));
    } else if (m.t === 'gone') this.owner?.onGone(m.sid);
    else if (m.t === 'lookup') this.answerLookup(m);
    else if (m.t === 'found') this.lookupAnswered(m);
    else this.gateway?.onMessage(m);
  }

  /**
   * GET /api/rooms/:code. The owner is found in Redis, with the asking address's guessing budget
   * in the same round trip (so an address blocked on other nodes is refused here too, even for a
   * room of this node: one round trip those look-ups did not make before, on a path throttled per
   * address and off the game's), and, when it is another node, asked for the room's summary over
   * its inbox, like a forwarded event. Asking beats keeping a summary of every room in Redis: it costs
   * nothing until somebody looks (look-ups are rare and throttled per address; phase and membership
   * changes are frequent), the answer is the owner's live room rather than a copy kept in step with
   * it, and nothing needs cleaning up when a room closes or a node dies. A dead owner's code leaves
   * Redis with its entries (presence TTL) and is a plain miss; before that, an owner that does not
   * answer is told dead from alive by its Redis connection (closed at once by a crash): a miss too,
   * where an owner alive but silent, or Redis itself silent, rejects (the route answers 503).
   */
  async findRoom(code: string, key: string): Promise<RoomLookup> {
    const { probes, host } = this;
    if (!probes || !host || this.closed) throw new Error('cluster node not attached');
    const { owner, blocked } = await probes.lookup(code, key);
    if (blocked) return { kind: 'blocked' };
    // Also when Redis does not know the code yet (it just came back empty, the next beat restores it).
    const here = host.rooms.get(code);
    if (here) return { kind: 'room', room: summarizeRoom(here) };
    if (!owner || owner === this.nodeId) return { kind: 'none' };
    let room: RoomSummary | null;
    try {
      room = await this.askOwner(owner, code);
    } catch (e) {
      if (await withTimeout(this.presence.isRunning(owner), 1000)) throw e;
      room = null;
    }
    return room ? { kind: 'room', room } : { kind: 'none' };
  }

  private askOwner(owner: string, code: string): Promise<RoomSummary | null> {
    const id = this.nextLookup++;
    const timeoutMs = this.options.lookupTimeoutMs ?? 1500;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lookups.delete(id);
        reject(new Error(`node ${owner} did not answer a room look-up within ${timeoutMs} ms`));
      }, timeoutMs);
      this.lookups.set(id, { resolve, reject, timer });
      this.send(owner, { t: 'lookup', from: this.nodeId, id, code });
    });
  }

  private answerLookup(m: Extract<ClusterMessage, { t: 'lookup' }>): void {
    const room = this.host?.rooms.get(m.code);
    this.send(m.from, { t: 'found', id: m.id, room: room && !room.isClosed ? summarizeRoom(room) : null });
  }

  private lookupAnswered(m: Extract<ClusterMessage, { t: 'found' }>): void {
    const pending = this.lookups.get(m.id);
    if (!pending) return;
    this.lookups.delete(m.id);
    clearTimeout(pending.timer);
    pending.resolve(m.room);
  }

  private info(): NodeInfo {
    return {
      id: this.nodeId,
      draining: this.drainingFlag,
      rooms: this.host?.rooms.size ?? 0,
      connections: this.host?.io.engine.clientsCount ?? 0,
      startedAt: this.startedAt,
    };
  }

  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    const rooms = this.host?.rooms.all().map((r) => r.code) ?? [];
    const spares = [...this.codes.codes];
    try {
      const ms = await this.presence.heartbeat(this.info(), rooms, spares);
      this.lastView.redis = { reachable: true, latencyMs: round(ms) };
      this.lastBeatAt = Date.now();
    } catch (e) {
      this.lastView.redis = { reachable: false, latencyMs: null };
      throw e;
    }
    // Codes of rooms that closed since the last beat go back to the cluster.
    const now = new Set([...rooms, ...spares]);
    for (const c of this.heldCodes) if (!now.has(c)) await this.presence.releaseCode(c);
    this.heldCodes = now;
    await this.presence.refreshLeases('conn', [...this.leases.values()]);
    this.lastView.nodesAlive = (await this.presence.nodes()).length;
    if (Date.now() >= this.trustPresenceAfter) await this.owner?.checkGateways();
  }

  private async pickCreateNode(): Promise<string | null> {
    const candidates = (await this.presence.nodes()).filter((n) => n.id !== this.nodeId && !n.draining);
    candidates.sort((a, b) => a.rooms - b.rooms);
    return candidates[0]?.id ?? null;
  }

  /**
   * SIGTERM: stop taking new rooms and games (the load balancer sees /healthz 503 and stops
   * sending new connections), wait until no game of this node is running or `timeoutMs` passed,
   * then tell the players of this node's rooms. The caller then shuts the application down,
   * which ends any game still running and stores it.
   */
  async drain(timeoutMs: number): Promise<{ waitedMs: number; gamesCut: number }> {
    this.drainingFlag = true;
    await this.heartbeat().catch(() => {});
    const t0 = Date.now();
    const running = () => this.host?.rooms.all().filter((r: Room) => RUNNING_PHASES.has(r.phase)) ?? [];
    while (running().length > 0 && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 200));
    const gamesCut = running().length;
    for (const room of this.host?.rooms.all() ?? []) {
      this.host?.io.to(roomChannel(room.code)).emit('room:kicked', { reason: DRAIN_NOTICE });
    }
    return { waitedMs: Date.now() - t0, gamesCut };
  }

  /** Removes this node's entries from Redis and disconnects (after the application shut down). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.ownerCheckTimer) clearInterval(this.ownerCheckTimer);
    if (this.dbTimer) clearInterval(this.dbTimer);
    this.gateway?.close();
    for (const { timer, reject } of this.lookups.values()) {
      clearTimeout(timer);
      reject(new Error('this node is shutting down'));
    }
    this.lookups.clear();
    try {
      await this.presence.deregister([...this.heldCodes, ...this.codes.codes]);
    } catch (e) {
      this.options.log.warn({ err: (e as Error).message }, 'could not remove this node from Redis; its entries expire');
    }
    this.disconnectAll();
  }

  private disconnectAll(): void {
    for (const r of [this.redis, this.subscriber, this.adapterPub, this.adapterSub]) r.disconnect();
  }

  private registerMetrics(): void {
    const registers = this.options.registry ? [this.options.registry] : [];
    if (registers.length === 0) return;
    const view = () => this.view();
    new Gauge({
      name: 'emotion_arena_cluster_rooms_owned',
      help: 'Rooms whose game runs on this node',
      registers,
      collect() {
        this.set(view().roomsOwned);
      },
    });
    new Gauge({
      name: 'emotion_arena_cluster_nodes_alive',
      help: 'Nodes with a live heartbeat in Redis',
      registers,
      collect() {
        this.set(view().nodesAlive);
      },
    });
    new Gauge({
      name: 'emotion_arena_cluster_draining',
      help: '1 while this node drains',
      registers,
      collect() {
        this.set(view().draining ? 1 : 0);
      },
    });
    new Gauge({
      name: 'emotion_arena_cluster_redis_up',
      help: '1 when the last heartbeat reached Redis',
      registers,
      collect() {
        this.set(view().redis.reachable ? 1 : 0);
      },
    });
    new Gauge({
      name: 'emotion_arena_cluster_redis_latency_seconds',
      help: 'Round trip of the last heartbeat to Redis',
      registers,
      collect() {
        const ms = view().redis.latencyMs;
        if (ms !== null) this.set(ms / 1000);
      },
    });
    new Gauge({
      name: 'emotion_arena_cluster_postgres_up',
      help: '1 when the last query reached PostgreSQL',
      registers,
      collect() {
        this.set(view().postgres?.reachable ? 1 : 0);
      },
    });
    new Gauge({
      name: 'emotion_arena_cluster_postgres_latency_seconds',
      help: 'Round trip of the last PostgreSQL ping',
      registers,
      collect() {
        const ms = view().postgres?.latencyMs;
        if (ms !== null && ms !== undefined) this.set(ms / 1000);
      },
    });
    const self = this;
    new Gauge({
      name: 'emotion_arena_cluster_forwarded_events',
      help: 'Room events this node forwarded to owners (out) and ran for other gateways (in), since start',
      labelNames: ['direction'] as const,
      registers,
      collect() {
        this.set({ direction: 'out' }, self.forwardedOut);
        this.set({ direction: 'in' }, self.forwardedIn);
      },
    });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export { OWNER_STOPPED_REASON };
