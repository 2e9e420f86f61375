/**
 * The gateway half of a node: for each socket connected here, sends its room events to the
 * node that owns its room (looked up in Redis by room code) and relays the answers back.
 * Sockets whose room is on this node go through to the ordinary handlers untouched.
 * A room whose owner stops answering (its Redis entry expired) is reported to its players here.
 */
import { ERROR_CODES } from '../../shared/protocol.ts';
import { normalizeRoomCode } from '../game/room-code.ts';
import type { Logger } from '../logging.ts';
import { err, ok } from '../net/ack.ts';
import { parseConsent, parseDelete } from '../net/donation-handlers.ts';
import { protocolOf } from '../net/protocol-version.ts';
import type { ArenaSocket } from '../net/types.ts';
import type { ClusterMessage, ForwardedHandshake } from './messages.ts';
import type { RedisPresence } from './presence.ts';
import type { RedisRoomProbes } from './room-probes.ts';
import type { ClusterHost } from './types.ts';

/** Events that act on the socket's room, and so run where the room lives. */
const ROOM_EVENTS = new Set(['room:leave', 'room:settings', 'room:kick', 'game:start', 'frame:send']);
const CONSENT_EVENT = 'donation:consent';
const DELETE_EVENT = 'donation:delete';
export const DELETE_INCOMPLETE_MESSAGE =
  'not every game server could delete your donations right now (some may remain); please try again';

export const OWNER_STOPPED_REASON =
  'the server running this room stopped; your finished games are saved. Create or join another room.';
export const NODE_DRAINING_MESSAGE = 'this server is restarting; no new games start here. Try again in a moment.';

type AckFn = (response: unknown) => void;

interface RemoteBinding {
  owner: string;
  channel: string;
}

export interface GatewayDeps {
  nodeId: string;
  presence: RedisPresence;
  send(node: string, message: ClusterMessage): void;
  host: ClusterHost;
  log: Logger;
  isDraining(): boolean;
  /** A live node that takes new rooms, for creations asked of this node while it drains. */
  pickCreateNode(): Promise<string | null>;
  /** The room-code guessing budget over the cluster (the same the room handlers use). */
  probes: RedisRoomProbes;
  /** Makes sure a claimed room code is ready for the next room created here. */
  ensureRoomCode(): Promise<void>;
  roomCap: number;
  roomsPerIpPerMinute: number;
  ackTimeoutMs: number;
  /** Counts a forwarded event (metrics). */
  forwarded(): void;
}

export class Gateway {
  private readonly bindings = new Map<string, RemoteBinding>();
  /**
   * Each socket's last valid donation consent, as it sent it. Consent belongs to the connection
   * (docs/privacy.md), and the connection lives here: the owner of whatever room it joins learns it
   * from this, never from anything in a join's payload.
   */
  private readonly consents = new Map<string, { playerToken: string; consent: boolean }>();
  private readonly acks = new Map<number, { ack: AckFn; timer: NodeJS.Timeout }>();
  private nextAck = 1;
  private admissions = 0;
  /** Owners whose Redis connection was seen closed, since when. */
  private readonly disconnectedSince = new Map<string, number>();

  constructor(private readonly deps: GatewayDeps) {}

  /** Sockets here whose room is on another node. */
  get remoteBound(): number {
    return this.bindings.size;
  }

  /** The Socket.IO middleware for one socket: forwards or passes through. */
  middleware(socket: ArenaSocket): (packet: unknown[], next: (err?: Error) => void) => void {
    return (packet, next) => {
      const [event, ...rest] = packet;
      const last = rest[rest.length - 1];
      const ack = typeof last === 'function' ? (last as AckFn) : null;
      const args = ack ? rest.slice(0, -1) : rest;
      const fail = (e: unknown) => {
        this.deps.log.error({ err: e, event, socket: socket.id }, 'cluster routing failed');
        ack?.(err(ERROR_CODES.UNAVAILABLE, 'the game servers cannot reach each other right now; try again'));
      };
      if (event === 'room:create') {
        this.create(socket, args, ack, next).catch(fail);
        return;
      }
      if (event === 'room:join') {
        this.join(socket, args, ack, next).catch(fail);
        return;
      }
      if (event === DELETE_EVENT && parseDelete(args[0]).ok) {
        this.deleteEverywhere(socket, packet, args, ack, next).catch(fail);
        return;
      }
      if (event === CONSENT_EVENT) {
        this.consentChanged(socket, args[0]);
        // Answered here as on a single node (this node's own rooms need it too).
        return next();
      }
      if (typeof event === 'string' && ROOM_EVENTS.has(event)) {
        const bound = this.bindings.get(socket.id);
        if (bound) return this.forward(socket, bound.owner, event, args, ack);
        if (event === 'game:start' && this.deps.isDraining()) {
          return ack?.(err(ERROR_CODES.UNAVAILABLE, NODE_DRAINING_MESSAGE));
        }
      }
      next();
    };
  }

  private async create(socket: ArenaSocket, args: unknown[], ack: AckFn | null, next: () => void): Promise<void> {
    const key = this.deps.host.clientKey(socket);
    const { presence } = this.deps;
    if (!(await presence.takeFromWindow('create', key, this.deps.roomsPerIpPerMinute))) {
      return ack?.(err(ERROR_CODES.RATE_LIMITED, 'too many rooms created from this address; wait a minute'));
    }
    const placeholder = `pending:${this.deps.nodeId}:${++this.admissions}`;
    if (!(await presence.admitRoom(placeholder, this.deps.roomCap))) {
      return ack?.(err(ERROR_CODES.UNAVAILABLE, 'the game is full (too many open rooms); try again in a few minutes'));
    }
    if (this.deps.isDraining()) {
      const target = await this.deps.pickCreateNode();
      if (!target) return ack?.(err(ERROR_CODES.UNAVAILABLE, NODE_DRAINING_MESSAGE));
      this.leaveRemote(socket);
      this.leaveLocal(socket);
      this.forwardConsent(socket, target);
      return this.forward(socket, target, 'room:create', args, ack);
    }
    await this.deps.ensureRoomCode();
    this.leaveRemote(socket);
    next();
  }

  private async join(socket: ArenaSocket, args: unknown[], ack: AckFn | null, next: () => void): Promise<void> {
    const code = normalizeRoomCode((args[0] as { code?: unknown } | undefined)?.code);
    const key = this.deps.host.clientKey(socket);
    // An address that used up its room-code misses is refused by the ordinary handler, without
    // looking. The owner look-up reads the address's budget in the same round trip, so a block
    // earned on other nodes holds here too before anything is forwarded.
    if (this.deps.probes.blocked(key)) return next();
    const found = code ? await this.deps.probes.lookup(code, key) : null;
    if (found?.blocked) return next();
    const owner = found?.owner ?? null;
    const bound = this.bindings.get(socket.id);
    if (!owner || owner === this.deps.nodeId) {
      // Here, or nowhere: the ordinary handler joins, or answers ROOM_NOT_FOUND (and counts the miss).
      this.leaveRemote(socket);
      return next();
    }
    if (!(await this.deps.presence.isRunning(owner))) {
      return ack?.(
        err(ERROR_CODES.UNAVAILABLE, `the server running room ${code} stopped; create or join another room`),
      );
    }
    if (bound && bound.owner !== owner) this.leaveRemote(socket);
    if (!bound) this.leaveLocal(socket);
    // Ahead of the join, on the same channel: the owner knows the consent before the first frame.
    if (bound?.owner !== owner) this.forwardConsent(socket, owner);
    this.forward(socket, owner, 'room:join', args, ack);
  }

  /**
   * A consent the socket sent: remembered when valid, and passed to the owner of its room at once
   * (withdrawing mid-round stops collection there). The owner runs its own copy of the ordinary
   * handler on it, keyed by this socket's id: no payload can speak for another connection.
   */
  private consentChanged(socket: ArenaSocket, payload: unknown): void {
    const parsed = parseConsent(payload);
    if (!parsed.ok) return;
    this.consents.set(socket.id, parsed.value);
    const bound = this.bindings.get(socket.id);
    if (bound) this.forwardConsent(socket, bound.owner);
  }

  /** The socket's last consent, to the node about to run its room events (nothing when it never sent one). */
  private forwardConsent(socket: ArenaSocket, owner: string): void {
    const consent = this.consents.get(socket.id);
    if (consent) this.forward(socket, owner, CONSENT_EVENT, [consent], null);
  }

  /**
   * `donation:delete` runs on every live node, not only here: any of them may hold crops of the
   * donor not yet in the shared table (the round in progress of a room the player is in or just
   * left, a batch waiting to be written). Each node deletes what it holds and what it finds in the
   * table; every row is deleted by exactly one of them, so the player is told the sum. A node that
   * does not answer makes the answer UNAVAILABLE (deleting again is harmless).
   */
  private async deleteEverywhere(
    socket: ArenaSocket,
    packet: unknown[],
    args: unknown[],
    ack: AckFn | null,
    next: () => void,
  ): Promise<void> {
    const bound = this.bindings.get(socket.id);
    const others = (await this.deps.presence.nodes()).map((n) => n.id).filter((id) => id !== this.deps.nodeId);
    if (bound && !others.includes(bound.owner)) others.push(bound.owner);
    const answers = others.map((node) => {
      const answer = new Promise<unknown>((resolve) => this.forward(socket, node, DELETE_EVENT, args, resolve));
      // Only the deletion was asked of a node that does not run the socket's room: drop its stand-in at once.
      if (bound?.owner !== node) this.deps.send(node, { t: 'gone', sid: socket.id });
      return answer;
    });
    // This node's own handler answers into the sum instead of to the client.
    answers.push(
      new Promise<unknown>((resolve) => {
        if (ack) packet[packet.length - 1] = resolve;
        else packet.push(resolve);
        next();
      }),
    );
    const results = await Promise.all(answers);
    let deleted = 0;
    for (const r of results) {
      const n = (r as { ok?: unknown; data?: { deleted?: unknown } } | null)?.data?.deleted;
      if ((r as { ok?: unknown } | null)?.ok !== true || typeof n !== 'number') {
        this.deps.log.warn({ socket: socket.id, answer: r }, 'a node could not delete donations');
        return ack?.(err(ERROR_CODES.UNAVAILABLE, DELETE_INCOMPLETE_MESSAGE));
      }
      deleted += n;
    }
    ack?.(ok({ deleted }));
  }

  private forward(socket: ArenaSocket, owner: string, ev: string, args: unknown[], ack: AckFn | null): void {
    let ackId: number | null = null;
    if (ack) {
      ackId = this.nextAck++;
      const id = ackId;
      const timer = setTimeout(() => {
        this.acks.delete(id);
        ack(err(ERROR_CODES.UNAVAILABLE, 'the server running your room did not answer; try again'));
      }, this.deps.ackTimeoutMs);
      this.acks.set(id, { ack, timer });
    }
    this.deps.forwarded();
    this.deps.send(owner, {
      t: 'event',
      gw: this.deps.nodeId,
      sid: socket.id,
      ev,
      args,
      ack: ackId,
      hs: handshakeOf(socket),
    });
  }

  /** Leaves the room the socket has on another node (it is joining or creating one elsewhere). */
  private leaveRemote(socket: ArenaSocket): void {
    const bound = this.bindings.get(socket.id);
    if (!bound) return;
    this.bindings.delete(socket.id);
    socket.leave(bound.channel);
    const hs = handshakeOf(socket);
    this.deps.send(bound.owner, {
      t: 'event',
      gw: this.deps.nodeId,
      sid: socket.id,
      ev: 'room:leave',
      args: [],
      ack: null,
      hs,
    });
    this.deps.send(bound.owner, { t: 'gone', sid: socket.id });
  }

  /** Leaves the room the socket has on this node, through the ordinary handler (no acknowledgement). */
  private leaveLocal(socket: ArenaSocket): void {
    for (const listener of (socket as unknown as { listeners(e: string): ((...a: unknown[]) => void)[] }).listeners(
      'room:leave',
    )) {
      listener();
    }
  }

  /** A message from an owner about one of this node's sockets. */
  onMessage(m: ClusterMessage): void {
    const { io } = this.deps.host;
    switch (m.t) {
      case 'ack': {
        const pending = this.acks.get(m.ack);
        if (!pending) return;
        this.acks.delete(m.ack);
        clearTimeout(pending.timer);
        pending.ack(m.res);
        return;
      }
      case 'emit': {
        const socket = io.sockets.sockets.get(m.sid);
        (socket as unknown as { emit(e: string, ...a: unknown[]): void } | undefined)?.emit(m.ev, ...m.args);
        return;
      }
      case 'join': {
        const socket = io.sockets.sockets.get(m.sid);
        if (!socket) {
          // The socket left while its join travelled: its seat waits for a reconnect, as after any disconnect.
          this.deps.send(m.owner, { t: 'gone', sid: m.sid });
          return;
        }
        const previous = this.bindings.get(m.sid);
        if (previous && previous.channel !== m.ch) socket.leave(previous.channel);
        this.bindings.set(m.sid, { owner: m.owner, channel: m.ch });
        socket.join(m.ch);
        return;
      }
      case 'leave': {
        const socket = io.sockets.sockets.get(m.sid);
        const bound = this.bindings.get(m.sid);
        if (bound?.channel === m.ch) this.bindings.delete(m.sid);
        socket?.leave(m.ch);
        return;
      }
      default:
        return;
    }
  }

  /** The socket disconnected: its room's owner treats the player as disconnected. */
  socketGone(socket: ArenaSocket): void {
    this.consents.delete(socket.id);
    const bound = this.bindings.get(socket.id);
    if (!bound) return;
    this.bindings.delete(socket.id);
    this.deps.send(bound.owner, { t: 'gone', sid: socket.id });
  }

  /**
   * Finds owners that died and tells their players here that the room is gone. An owner is dead
   * when its Redis entry expired, or when its connection to Redis has been closed for
   * `connectionGoneMs` (a crashed process's connection closes at once; the grace covers a reconnect).
   */
  async checkOwners(connectionGoneMs = 800): Promise<void> {
    const owners = [...new Set([...this.bindings.values()].map((b) => b.owner))];
    if (owners.length === 0) return;
    const alive = await this.deps.presence.aliveOf(owners);
    const connected = await this.deps.presence.connectedNodes();
    const now = Date.now();
    for (const owner of this.disconnectedSince.keys())
      if (!owners.includes(owner)) this.disconnectedSince.delete(owner);
    for (const owner of owners) {
      if (connected === null || connected.has(owner)) this.disconnectedSince.delete(owner);
      else if (!this.disconnectedSince.has(owner)) this.disconnectedSince.set(owner, now);
      const since = this.disconnectedSince.get(owner);
      if (since !== undefined && now - since >= connectionGoneMs) alive.delete(owner);
    }
    for (const [sid, b] of this.bindings) {
      if (alive.has(b.owner)) continue;
      this.bindings.delete(sid);
      const socket = this.deps.host.io.sockets.sockets.get(sid);
      if (!socket) continue;
      socket.leave(b.channel);
      socket.emit('room:kicked', { reason: OWNER_STOPPED_REASON });
      this.deps.log.warn({ socket: sid, owner: b.owner, channel: b.channel }, 'room owner stopped; player told');
    }
  }

  close(): void {
    for (const { timer } of this.acks.values()) clearTimeout(timer);
    this.acks.clear();
  }
}

function handshakeOf(socket: ArenaSocket): ForwardedHandshake {
  const xff = socket.handshake.headers['x-forwarded-for'];
  const headers: Record<string, string> = {};
  if (xff) headers['x-forwarded-for'] = Array.isArray(xff) ? xff.join(', ') : xff;
  // The owner answers frames and sends room state the way the client asked for (server/net/protocol-version.ts).
  return { address: socket.handshake.address, headers, v: protocolOf(socket) };
}
