/** room:create, room:join, room:leave, room:settings, room:kick. */
import { ERROR_CODES, type JoinResult } from '../../shared/protocol.ts';
import { normalizeRoomCode } from '../../shared/room-code.ts';
import { addressKey } from '../game/ranking.ts';
import type { Room } from '../game/room.ts';
import { err, handle, ok } from './ack.ts';
import { boundMember, type NetContext } from './context.ts';
import { TOO_MANY_WRONG_CODES } from './probe-throttle.ts';
import type { ArenaSocket } from './types.ts';

/**
 * Default global room cap. Measured with bench/room-memory.ts (docs/configuration.md): an
 * open room with one connected member costs the server about 24 KiB, a full one (16 players) about
 * 310 KiB, so 1,000 rooms stay near 0.3 GiB even if every one filled up.
 */
export const DEFAULT_MAX_ROOMS = 1000;

/** After a broadcaster flush: the state just broadcast, with its revision (protocol 2 patches build on it). */
function joinResult(ctx: NetContext, room: Room, playerId: string): JoinResult {
  const member = room.member(playerId);
  return {
    self: { playerId, role: member?.role ?? 'spectator' },
    state: ctx.broadcaster.current(room),
    lastRound: room.lastRound,
    final: room.final,
  };
}

/** Leaves the room the socket is in, if any (explicit leave, or joining another room). */
function leaveCurrent(ctx: NetContext, socket: ArenaSocket): void {
  const bound = boundMember(ctx, socket);
  ctx.sessions.detach(socket);
  if (bound) {
    ctx.frames.forget(`${bound.room.code}/${bound.member.id}`);
    bound.room.leave(bound.member.id);
  }
}

export function registerRoomHandlers(ctx: NetContext, socket: ArenaSocket): void {
  handle(socket, 'room:create', ctx.log, (args, reply) => {
    const req = ctx.validators.createRoom(args[0]);
    if (!req.ok) return reply(err(ERROR_CODES.INVALID_PAYLOAD, req.message));
    if (!ctx.roomCreation.tryTake(ctx.clientIp(socket))) {
      return reply(err(ERROR_CODES.RATE_LIMITED, 'too many rooms created from this address; wait a minute'));
    }
    if (ctx.rooms.size >= ctx.maxRooms) {
      ctx.log.warn({ rooms: ctx.rooms.size }, 'room refused: the server is at MAX_ROOMS');
      return reply(
        err(ERROR_CODES.UNAVAILABLE, 'the server is full (too many open rooms); try again in a few minutes'),
      );
    }
    const room = ctx.rooms.create(req.value.settings);
    const joined = room.join(
      req.value.playerToken,
      req.value.nickname,
      req.value.role,
      addressKey(ctx.clientIp(socket)),
    );
    if (!joined.ok) {
      ctx.rooms.discard(room);
      return reply(err(joined.code, joined.message));
    }
    leaveCurrent(ctx, socket);
    ctx.sessions.bind(socket, room, joined.value.member);
    ctx.log.info({ room: room.code, player: joined.value.member.id }, 'room created');
    ctx.broadcaster.flush(room);
    reply(ok(joinResult(ctx, room, joined.value.member.id)));
  });

  handle(socket, 'room:join', ctx.log, (args, reply) => {
    const req = ctx.validators.joinRoom(args[0]);
    if (!req.ok) return reply(err(ERROR_CODES.INVALID_PAYLOAD, req.message));
    const key = ctx.clientIp(socket);
    if (ctx.roomProbes.blocked(key)) {
      return reply(err(ERROR_CODES.RATE_LIMITED, TOO_MANY_WRONG_CODES));
    }
    const code = normalizeRoomCode(req.value.code);
    const room = code ? ctx.rooms.get(code) : undefined;
    if (!room) {
      // A miss past the budget (counted elsewhere meanwhile: other nodes, racing guesses) is refused, not answered.
      const answer = (within: boolean) =>
        reply(
          within
            ? err(ERROR_CODES.ROOM_NOT_FOUND, `no room with code "${req.value.code.slice(0, 8)}"`)
            : err(ERROR_CODES.RATE_LIMITED, TOO_MANY_WRONG_CODES),
        );
      const counted = ctx.roomProbes.recordMiss(key);
      if (typeof counted === 'boolean') return answer(counted);
      return counted.then(answer);
    }
    const current = boundMember(ctx, socket);
    if (current && current.room !== room) leaveCurrent(ctx, socket);
    // A returning token keeps its seat; a role in the request switches it in place (Room.join).
    const joined = room.join(
      req.value.playerToken,
      req.value.nickname,
      req.value.role,
      addressKey(ctx.clientIp(socket)),
    );
    if (!joined.ok) return reply(err(joined.code, joined.message));
    ctx.sessions.bind(socket, room, joined.value.member);
    const { member, rejoined } = joined.value;
    ctx.log.info({ room: room.code, player: member.id, rejoined, role: member.role }, 'joined room');
    ctx.broadcaster.flush(room);
    reply(ok(joinResult(ctx, room, member.id)));
  });

  handle(socket, 'room:leave', ctx.log, (_args, reply) => {
    if (!boundMember(ctx, socket)) return reply(err(ERROR_CODES.NOT_IN_ROOM, 'you are not in a room'));
    leaveCurrent(ctx, socket);
    reply(ok(null));
  });

  handle(socket, 'room:settings', ctx.log, (args, reply) => {
    const patch = ctx.validators.settingsPatch(args[0]);
    if (!patch.ok) return reply(err(ERROR_CODES.INVALID_PAYLOAD, patch.message));
    const bound = boundMember(ctx, socket);
    if (!bound) return reply(err(ERROR_CODES.NOT_IN_ROOM, 'you are not in a room'));
    const r = bound.room.updateSettings(bound.member.id, patch.value);
    reply(r.ok ? ok(r.value) : err(r.code, r.message));
  });

  handle(socket, 'room:kick', ctx.log, (args, reply) => {
    const req = ctx.validators.kick(args[0]);
    if (!req.ok) return reply(err(ERROR_CODES.INVALID_PAYLOAD, req.message));
    const bound = boundMember(ctx, socket);
    if (!bound) return reply(err(ERROR_CODES.NOT_IN_ROOM, 'you are not in a room'));
    const r = bound.room.kick(bound.member.id, req.value.playerId);
    if (r.ok) ctx.log.info({ room: bound.room.code, by: bound.member.id, kicked: req.value.playerId }, 'player kicked');
    reply(r.ok ? ok(null) : err(r.code, r.message));
  });
}

/** A recovered connection (Socket.IO connection state recovery) gets its seat and a full snapshot back. */
export function restoreRecoveredSession(ctx: NetContext, socket: ArenaSocket): void {
  const { roomCode, playerId, playerToken } = socket.data;
  if (!roomCode || !playerId || !playerToken) return;
  const room = ctx.rooms.get(roomCode);
  const member = room?.member(playerId);
  if (!room || !member) {
    ctx.sessions.detach(socket);
    socket.emit('server:error', { code: ERROR_CODES.NOT_IN_ROOM, message: 'your seat in the room has expired' });
    return;
  }
  const joined = room.join(playerToken, member.nickname);
  if (!joined.ok) {
    ctx.sessions.detach(socket);
    socket.emit('server:error', { code: joined.code, message: joined.message });
    return;
  }
  ctx.sessions.bind(socket, room, joined.value.member);
  // Up to date (the room hears that the seat is back) and with the revision later patches build on.
  socket.emit('room:state', ctx.broadcaster.current(room));
}
