/** GET /api/leaderboard?period=all|day|week&board=ranked|practice&limit=N and GET /api/rooms/:code (does a join link work?). */
import express from 'express';
import { z } from 'zod';
import { ERROR_CODES, LEADERBOARD_BOARDS, LEADERBOARD_MAX_LIMIT, LEADERBOARD_PERIODS } from '../../shared/protocol.ts';
import { normalizeRoomCode } from '../../shared/room-code.ts';
import type { Clock } from '../game/clock.ts';
import type { RoomRegistry } from '../game/room-registry.ts';
import type { Logger } from '../logging.ts';
import { limitKey } from '../net/client-address.ts';
import { type RoomProbes, TOO_MANY_WRONG_CODES } from '../net/probe-throttle.ts';
import { KeyedRateLimiter } from '../net/rate-limiter.ts';
import { type RoomLookup, summarizeRoom } from '../net/room-summary.ts';
import type { LeaderboardStore } from '../store/types.ts';

const querySchema = z
  .object({
    period: z.enum(LEADERBOARD_PERIODS).default('all'),
    board: z.enum(LEADERBOARD_BOARDS).default('ranked'),
    // Decimal digits only: Number() would also take "0x10", "1e1" or " 16".
    limit: z
      .string()
      .regex(/^[0-9]{1,4}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(LEADERBOARD_MAX_LIMIT))
      .default(20),
  })
  // Repeated (?period=a&period=b) or bracketed (?period[]=day) parameters arrive as arrays or
  // unknown keys; answering them as if absent would show a different board than the one asked for.
  .strict();

export function leaderboardRouter(deps: {
  store: LeaderboardStore;
  rooms: RoomRegistry;
  clock: Clock;
  log: Logger;
  /** Shared with room:join: misses from one address count together (over the cluster in cluster mode). */
  roomProbes: RoomProbes;
  roomLookupsPerMinute: number;
  /**
   * Cluster mode: a room on any node, and the address's guessing budget over the cluster
   * (server/cluster/cluster-node.ts); rejects when Redis or the room's node does not answer.
   * Absent on a single node, where `rooms` holds every room.
   */
  findRoom?: (code: string, key: string) => Promise<RoomLookup>;
}): express.Router {
  const router = express.Router();
  const lookups = new KeyedRateLimiter(deps.roomLookupsPerMinute / 60, deps.roomLookupsPerMinute, () =>
    deps.clock.now(),
  );
  const tooMany = (res: express.Response, message: string) => {
    res.setHeader('Retry-After', '60');
    res.status(429).json({ ok: false, error: { code: ERROR_CODES.RATE_LIMITED, message } });
  };

  router.get('/api/leaderboard', async (req, res) => {
    const q = querySchema.safeParse(req.query);
    if (!q.success) {
      res.status(400).json({
        ok: false,
        error: {
          code: ERROR_CODES.INVALID_PAYLOAD,
          message: `period must be one of ${LEADERBOARD_PERIODS.join('|')}; board ${LEADERBOARD_BOARDS.join('|')}; limit an integer 1–${LEADERBOARD_MAX_LIMIT}; each given once, no other parameters`,
        },
      });
      return;
    }
    try {
      const entries = await deps.store.leaderboard({ ...q.data, now: deps.clock.now() });
      res.json({ ok: true, data: { period: q.data.period, board: q.data.board, entries } });
    } catch (err) {
      deps.log.error({ err }, 'leaderboard query failed');
      res.status(503).json({ ok: false, error: { code: ERROR_CODES.UNAVAILABLE, message: 'leaderboard unavailable' } });
    }
  });

  router.get('/api/rooms/:code', async (req, res) => {
    // req.ip honours `trust proxy` (TRUST_PROXY) the same way the socket side does.
    const key = limitKey(req.ip ?? req.socket.remoteAddress ?? '');
    if (!lookups.tryTake(key)) return tooMany(res, 'too many room look-ups from this address; wait a minute');
    if (deps.roomProbes.blocked(key)) return tooMany(res, TOO_MANY_WRONG_CODES);
    const code = normalizeRoomCode(req.params.code);
    const room = code ? deps.rooms.get(code) : undefined;
    if (code && deps.findRoom) {
      let found: RoomLookup;
      try {
        found = await deps.findRoom(code, key);
      } catch (err) {
        deps.log.warn({ err: (err as Error).message, room: code }, 'room look-up in the cluster failed');
        // Redis silent: this node's own rooms still answer, behind this node's own count of misses.
        if (room) {
          res.json({ ok: true, data: summarizeRoom(room) });
          return;
        }
        res.status(503).json({
          ok: false,
          error: {
            code: ERROR_CODES.UNAVAILABLE,
            message: 'the game servers cannot reach each other right now; try again',
          },
        });
        return;
      }
      if (found.kind === 'blocked') return tooMany(res, TOO_MANY_WRONG_CODES);
      if (found.kind === 'room') {
        res.json({ ok: true, data: found.room });
        return;
      }
    } else if (room) {
      res.json({ ok: true, data: summarizeRoom(room) });
      return;
    }
    // A miss past the budget (counted elsewhere meanwhile: other nodes, racing guesses) is refused, not answered.
    if (!(await deps.roomProbes.recordMiss(key))) return tooMany(res, TOO_MANY_WRONG_CODES);
    res.status(404).json({ ok: false, error: { code: ERROR_CODES.ROOM_NOT_FOUND, message: 'no such room' } });
  });

  return router;
}
