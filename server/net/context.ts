/** What the socket handlers share: the core, the store, limits, metrics, and socket↔player bindings. */

import { ROOM_STATE_FORMATS, type RoomStateFormat, roomStateFormat } from '../../shared/protocol.ts';
import type { Donations } from '../donations/donations.ts';
import type { Clock } from '../game/clock.ts';
import type { FrameTicket, Member, Room } from '../game/room.ts';
import type { RoomRegistry } from '../game/room-registry.ts';
import type { Validators } from '../game/validators.ts';
import type { Logger } from '../logging.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { ScoredFrame } from '../ml/engine/types.ts';
import type { LeaderboardStore } from '../store/types.ts';
import type { LatestFrameQueue } from './latest-frame-queue.ts';
import type { RoomProbes } from './probe-throttle.ts';
import { protocolOf } from './protocol-version.ts';
import type { KeyedRateLimiter, TokenBucket } from './rate-limiter.ts';
import type { StateBroadcaster } from './state-broadcaster.ts';
import { type ArenaServer, type ArenaSocket, roomChannel } from './types.ts';

/** The newest-frame queue in front of the engine (frame-pipeline.ts). */
export type FrameQueue = LatestFrameQueue<FrameJob, ScoredFrame>;

export interface FrameJob {
  socketId: string;
  roomCode: string;
  playerId: string;
  seq: number;
  ticket: FrameTicket;
  /** The frame's pixels (the queue's copy), for donation by consenting players. */
  crop: Uint8Array;
  /** Protocol 2 without an acknowledgement: a frame that is not scored is answered in frame:result. */
  answerInResult: boolean;
}

export interface NetContext {
  io: ArenaServer;
  rooms: RoomRegistry;
  validators: Validators;
  store: LeaderboardStore;
  metrics: ServerMetrics;
  log: Logger;
  clock: Clock;
  frames: FrameQueue;
  broadcaster: StateBroadcaster;
  roomCreation: KeyedRateLimiter;
  frameLimiter: (socket: ArenaSocket) => TokenBucket;
  sessions: Sessions;
  /** The key per-address limits count against: the client's IPv4 address or IPv6 /64. */
  clientIp: (socket: ArenaSocket) => string;
  /** Room codes that missed, per address: guessing codes gets refused (over the whole cluster in cluster mode). */
  roomProbes: RoomProbes;
  /** Open rooms on this server at most. */
  maxRooms: number;
  leaderboardDefaultLimit: number;
  donations: Donations | null;
}

/** Which socket currently speaks for which room member (a player token has at most one live socket). */
export class Sessions {
  /**
   * Room code → player id → socket id. Nested rather than keyed by `${code}/${playerId}`: a frame
   * looks a member up several times, and a key built per look-up must be flattened and hashed
   * each time, where the code and id strings the maps hold keep their hashes.
   */
  private readonly byMember = new Map<string, Map<string, string>>();
  /** Per room code: the live member sockets by the room state format they take (what the state broadcaster must send). */
  private readonly byFormat = new Map<string, Record<RoomStateFormat, Set<string>>>();

  constructor(
    private readonly io: ArenaServer,
    /** Sockets that are not this server's own (cluster mode: stand-ins for sockets on other nodes). */
    private readonly lookup: (id: string) => ArenaSocket | undefined = () => undefined,
  ) {}

  socketIdOf(code: string, playerId: string): string | undefined {
    return this.byMember.get(code)?.get(playerId);
  }

  private setMember(code: string, playerId: string, socketId: string): void {
    let room = this.byMember.get(code);
    if (!room) {
      room = new Map();
      this.byMember.set(code, room);
    }
    room.set(playerId, socketId);
  }

  private deleteMember(code: string, playerId: string): void {
    const room = this.byMember.get(code);
    if (!room) return;
    room.delete(playerId);
    if (room.size === 0) this.byMember.delete(code);
  }

  socketOf(code: string, playerId: string): ArenaSocket | undefined {
    const id = this.socketIdOf(code, playerId);
    return id ? (this.io.sockets.sockets.get(id) ?? this.lookup(id)) : undefined;
  }

  /** True when `socket` is the live connection of the member it claims to be. */
  isCurrent(socket: ArenaSocket): boolean {
    const { roomCode, playerId } = socket.data;
    return !!roomCode && !!playerId && this.socketIdOf(roomCode, playerId) === socket.id;
  }

  /** Binds the socket to a member; a previous socket of the same member is detached (second tab, stale socket). */
  bind(socket: ArenaSocket, room: Room, member: Member): void {
    const previousId = this.socketIdOf(room.code, member.id);
    if (previousId && previousId !== socket.id) {
      const previous = this.io.sockets.sockets.get(previousId) ?? this.lookup(previousId);
      if (previous) {
        this.detach(previous);
        previous.emit('server:error', {
          code: 'ALREADY_IN_ROOM',
          message: 'this player joined the room from another connection',
        });
      }
    }
    this.setMember(room.code, member.id, socket.id);
    this.formats(room.code)[roomStateFormat(protocolOf(socket))].add(socket.id);
    socket.data.roomCode = room.code;
    socket.data.playerId = member.id;
    socket.data.playerToken = member.token;
    socket.join(roomChannel(room.code));
  }

  /** Forgets the socket's membership (the socket itself stays connected). */
  detach(socket: ArenaSocket): void {
    const { roomCode, playerId } = socket.data;
    if (roomCode && playerId && this.socketIdOf(roomCode, playerId) === socket.id) {
      this.deleteMember(roomCode, playerId);
    }
    if (roomCode) this.unlist(roomCode, socket.id);
    if (roomCode) socket.leave(roomChannel(roomCode));
    socket.data.roomCode = undefined;
    socket.data.playerId = undefined;
  }

  forgetMember(code: string, playerId: string): void {
    const id = this.socketIdOf(code, playerId);
    this.deleteMember(code, playerId);
    if (id) this.unlist(code, id);
  }

  /**
   * The ids of the room's live member sockets that take room state in `format` (their protocol
   * version decides; in cluster mode these include other nodes' sockets).
   */
  socketsTaking(code: string, format: RoomStateFormat): string[] {
    const ids = this.byFormat.get(code)?.[format];
    return ids ? [...ids] : [];
  }

  private formats(code: string): Record<RoomStateFormat, Set<string>> {
    let f = this.byFormat.get(code);
    if (!f) {
      f = { whole: new Set(), patches: new Set(), 'patches-in-results': new Set() };
      this.byFormat.set(code, f);
    }
    return f;
  }

  private unlist(code: string, socketId: string): void {
    const f = this.byFormat.get(code);
    if (!f) return;
    for (const format of ROOM_STATE_FORMATS) f[format].delete(socketId);
    if (ROOM_STATE_FORMATS.every((format) => f[format].size === 0)) this.byFormat.delete(code);
  }
}

/** The room and member a socket is bound to, if it is the member's live connection. */
export function boundMember(ctx: NetContext, socket: ArenaSocket): { room: Room; member: Member } | null {
  if (!ctx.sessions.isCurrent(socket)) return null;
  const room = ctx.rooms.get(socket.data.roomCode as string);
  const member = room?.member(socket.data.playerId as string);
  return room && member ? { room, member } : null;
}
