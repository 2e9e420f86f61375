/**
 * Builds what the socket handlers share (NetContext): the room registry (the game core), the
 * frame pipeline to the engine, the state broadcaster, the room-event listener that emits to
 * sockets and saves finished games, and the socket↔player bindings. The composition root
 * (server/app.ts) calls it once and wires the result to connections, routes and the cluster.
 */
import { randomUUID } from 'node:crypto';
import { ERROR_CODES, SERVER_FRAME_RATE_LIMIT, STATE_BROADCAST_HZ } from '../../shared/protocol.ts';
import type { AppDeps } from '../app-deps.ts';
import type { Clock } from '../game/clock.ts';
import { DEFAULT_TIMINGS } from '../game/room.ts';
import { RoomRegistry } from '../game/room-registry.ts';
import { DEFAULT_SCORING } from '../game/scoring.ts';
import { createValidators, DEFAULT_SETTINGS_LIMITS } from '../game/validators.ts';
import type { Logger } from '../logging.ts';
import type { ServerMetrics } from '../metrics.ts';
import { type FrameQueue, type NetContext, Sessions } from './context.ts';
import { deliverFrameResult, frameNotScored } from './frame-handlers.ts';
import { createFramePipeline, frameBudgets } from './frame-pipeline.ts';
import { ProbeThrottle } from './probe-throttle.ts';
import { KeyedRateLimiter } from './rate-limiter.ts';
import { newRoomSettings } from './room-defaults.ts';
import { createRoomEvents, type RoomEvents } from './room-events.ts';
import { DEFAULT_MAX_ROOMS } from './room-handlers.ts';
import { StateBroadcaster } from './state-broadcaster.ts';
import type { ArenaServer, ArenaSocket } from './types.ts';

export interface GameContext {
  ctx: NetContext;
  rooms: RoomRegistry;
  frames: FrameQueue;
  broadcaster: StateBroadcaster;
  roomEvents: RoomEvents;
  /** Cluster mode: stand-ins for sockets on other nodes whose rooms run here, found by id like local ones. */
  remoteSockets: Map<string, ArenaSocket>;
}

export function createGameContext(
  io: ArenaServer,
  deps: AppDeps,
  base: { clock: Clock; log: Logger; metrics: ServerMetrics; clientIp: (socket: ArenaSocket) => string },
): GameContext {
  const { clock, log, metrics } = base;
  const now = () => clock.now();
  const remoteSockets = new Map<string, ArenaSocket>();
  const sessions = new Sessions(io, (id) => remoteSockets.get(id));
  const broadcaster = new StateBroadcaster(
    io,
    clock,
    STATE_BROADCAST_HZ,
    (code, format) => sessions.socketsTaking(code, format),
    (way, sockets) => metrics.protocol4Patches.inc({ way }, sockets),
  );
  const frames = createFramePipeline({
    engine: deps.engine,
    metrics,
    log,
    ...deps.inference,
    deliver: (job, probabilities, replay) => deliverFrameResult(ctx, job, probabilities, replay),
    notScored: (job, why) =>
      why === 'superseded'
        ? frameNotScored(ctx, job, ERROR_CODES.STALE, 'a newer frame replaced this one before it was scored')
        : frameNotScored(ctx, job, ERROR_CODES.UNAVAILABLE, 'the model could not score this frame'),
  });
  const roomEvents = createRoomEvents({
    io,
    broadcaster,
    sessions,
    frames,
    store: deps.store,
    donations: deps.donations ?? null,
    metrics,
    log,
  });
  const rooms = new RoomRegistry({
    clock,
    random: deps.random ?? Math.random,
    timings: { ...DEFAULT_TIMINGS, ...deps.timings },
    scoring: { ...DEFAULT_SCORING, ...deps.scoring },
    newGameId: randomUUID,
    // Cluster mode: codes claimed in Redis, unique across nodes.
    newCode: () => deps.cluster?.takeRoomCode() ?? null,
    listener: roomEvents.listener,
    defaultSettings: newRoomSettings(deps.defaultSettings, deps.modelInfo ?? (() => null), log),
  });
  const roomsPerMinute = deps.roomsPerIpPerMinute ?? 10;
  const failedJoinsPerMinute = deps.failedJoinsPerIpPerMinute ?? 10;
  const probes = new ProbeThrottle(failedJoinsPerMinute, now);
  const ctx: NetContext = {
    io,
    rooms,
    validators: createValidators(deps.settingsLimits ?? DEFAULT_SETTINGS_LIMITS),
    store: deps.store,
    metrics,
    log,
    clock,
    frames,
    broadcaster,
    roomCreation: new KeyedRateLimiter(roomsPerMinute / 60, roomsPerMinute, now),
    frameLimiter: frameBudgets(deps.framesPerSecond ?? SERVER_FRAME_RATE_LIMIT, now),
    sessions,
    clientIp: base.clientIp,
    // Cluster mode: misses counted in Redis over every node, this node's own count as the fallback.
    roomProbes: deps.cluster?.roomProbes(probes, failedJoinsPerMinute) ?? probes,
    maxRooms: deps.maxRooms ?? DEFAULT_MAX_ROOMS,
    leaderboardDefaultLimit: 20,
    donations: deps.donations ?? null,
  };
  return { ctx, rooms, frames, broadcaster, roomEvents, remoteSockets };
}
