/** game:start. (The game then runs on the server's clock; see server/game/room.ts.) */
import { ERROR_CODES } from '../../shared/protocol.ts';
import { err, handle, ok } from './ack.ts';
import { boundMember, type NetContext } from './context.ts';
import type { ArenaSocket } from './types.ts';

export function registerGameHandlers(ctx: NetContext, socket: ArenaSocket): void {
  handle(socket, 'game:start', ctx.log, (_args, reply) => {
    const bound = boundMember(ctx, socket);
    if (!bound) return reply(err(ERROR_CODES.NOT_IN_ROOM, 'you are not in a room'));
    const r = bound.room.start(bound.member.id);
    if (!r.ok) return reply(err(r.code, r.message));
    ctx.log.info({ room: bound.room.code, settings: bound.room.settings }, 'game started');
    ctx.broadcaster.flush(bound.room);
    reply(ok(null));
  });
}
