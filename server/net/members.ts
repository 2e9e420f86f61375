/** A room member's socket: the events it may send, and what its going away means for the seat. */
import type { NetContext } from './context.ts';
import { frameKey, registerFrameHandlers } from './frame-handlers.ts';
import { registerGameHandlers } from './game-handlers.ts';
import { registerRoomHandlers } from './room-handlers.ts';
import type { ArenaSocket } from './types.ts';

/** The handlers of a room member's events; a stand-in for a socket on another node gets the same. */
export function serveRoomEvents(ctx: NetContext, socket: ArenaSocket): void {
  registerRoomHandlers(ctx, socket);
  registerGameHandlers(ctx, socket);
  registerFrameHandlers(ctx, socket);
}

/** A member's socket went away: the seat waits for a reconnect (RECONNECT_GRACE_MS). */
export function memberSocketGone(ctx: NetContext, socket: ArenaSocket): void {
  const { roomCode, playerId } = socket.data;
  if (roomCode && playerId && ctx.sessions.isCurrent(socket)) {
    ctx.sessions.forgetMember(roomCode, playerId);
    ctx.frames.forget(frameKey(roomCode, playerId));
    ctx.rooms.get(roomCode)?.disconnect(playerId);
  }
}
