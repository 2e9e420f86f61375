/** leaderboard:get — the same data as GET /api/leaderboard. */
import { ERROR_CODES } from '../../shared/protocol.ts';
import { err, handle, ok } from './ack.ts';
import type { NetContext } from './context.ts';
import type { ArenaSocket } from './types.ts';

export function registerLeaderboardHandlers(ctx: NetContext, socket: ArenaSocket): void {
  handle(socket, 'leaderboard:get', ctx.log, async (args, reply) => {
    const req = ctx.validators.leaderboard(args[0]);
    if (!req.ok) return reply(err(ERROR_CODES.INVALID_PAYLOAD, req.message));
    try {
      const entries = await ctx.store.leaderboard({
        period: req.value.period,
        board: req.value.board ?? 'ranked',
        limit: req.value.limit ?? ctx.leaderboardDefaultLimit,
        now: ctx.clock.now(),
      });
      reply(ok(entries));
    } catch (e) {
      ctx.log.error({ err: e }, 'leaderboard query failed');
      reply(err(ERROR_CODES.UNAVAILABLE, 'the leaderboard is unavailable right now'));
    }
  });
}
