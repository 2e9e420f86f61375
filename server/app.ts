/**
 * The composition root: builds the game core, the frame pipeline and the store adapters and
 * wires them to HTTP and Socket.IO. Wiring only — each part lives in its own module under
 * server/net/ and server/http/. `createApplication(httpServer, deps)` takes everything with
 * state or I/O from `deps`, so tests inject stores, clocks, engines and short game timings.
 */
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import express from 'express';
import { ERROR_CODES, type GameSettings, SERVER_FRAME_RATE_LIMIT, STATE_BROADCAST_HZ } from '../shared/protocol.ts';
import type { ClusterPlug } from './cluster/types.ts';
import type { Donations } from './donations/donations.ts';
import { type Clock, createSystemClock } from './game/clock.ts';
import { DEFAULT_TIMINGS, type GameTimings } from './game/room.ts';
import { RoomRegistry } from './game/room-registry.ts';
import { DEFAULT_SCORING, type ScoringRules } from './game/scoring.ts';
import { createValidators, DEFAULT_SETTINGS_LIMITS, type SettingsLimits } from './game/validators.ts';
import { mountHttpRoutes } from './http/routes.ts';
import { type Logger, silentLogger } from './logging.ts';
import { createMetrics, type ServerMetrics } from './metrics.ts';
import type { ModelInfo, ReloadResult } from './ml/engine/model-host.ts';
import type { EmotionEngine } from './ml/engine/types.ts';
import { limitKey, socketAddress } from './net/client-address.ts';
import { acceptConnections } from './net/connections.ts';
import { type NetContext, Sessions } from './net/context.ts';
import { registerDonationHandlers } from './net/donation-handlers.ts';
import { deliverFrameResult, frameNotScored } from './net/frame-handlers.ts';
import { createFramePipeline, frameBudgets } from './net/frame-pipeline.ts';
import { registerLeaderboardHandlers } from './net/leaderboard-handlers.ts';
import { memberSocketGone, serveRoomEvents } from './net/members.ts';
import { ProbeThrottle } from './net/probe-throttle.ts';
import { KeyedRateLimiter } from './net/rate-limiter.ts';
import { newRoomSettings } from './net/room-defaults.ts';
import { createRoomEvents } from './net/room-events.ts';
import { startRoomGauges } from './net/room-gauges.ts';
import { DEFAULT_MAX_ROOMS, restoreRecoveredSession } from './net/room-handlers.ts';
import { closeGracefully } from './net/shutdown.ts';
import { createSocketServer } from './net/socket-server.ts';
import { StateBroadcaster } from './net/state-broadcaster.ts';
import type { ArenaServer, ArenaSocket } from './net/types.ts';
import { storeHealth } from './store/spooled-store.ts';
import type { LeaderboardStore } from './store/types.ts';

export interface AppDeps {
  engine: EmotionEngine;
  store: LeaderboardStore;
  clock?: Clock;
  log?: Logger;
  metrics?: ServerMetrics;
  /** Prompt draws (not room codes, which always use the CSPRNG). */
  random?: () => number;
  timings?: Partial<GameTimings>;
  scoring?: Partial<ScoringRules>;
  settingsLimits?: SettingsLimits;
  /** Default rounds / round length of new rooms. */
  defaultSettings?: Partial<Omit<GameSettings, 'emotions'>>;
  /** The served model (for the default prompt set and /healthz). */
  modelInfo?: () => ModelInfo | null;
  reloadModel?: () => Promise<ReloadResult>;
  adminToken?: string | null;
  maxConnectionsPerIp?: number;
  roomsPerIpPerMinute?: number;
  /** Open rooms on this server at most (MAX_ROOMS). */
  maxRooms?: number;
  /** GET /api/rooms/:code per address (an IPv6 /64) per minute. */
  roomLookupsPerIpPerMinute?: number;
  /** Room look-ups that miss (unknown code) per address per minute, before its look-ups are refused. */
  failedJoinsPerIpPerMinute?: number;
  framesPerSecond?: number;
  /** Per-socket budget for non-frame events (burst of twice this). */
  controlEventsPerSecond?: number;
  trustProxy?: boolean;
  inference?: { maxBatch?: number; maxInFlight?: number };
  /** Origins besides the server's own that may open Socket.IO connections (ALLOWED_ORIGINS). */
  allowedOrigins?: readonly string[];
  /** Frame donation (docs/privacy.md); without it the donation events answer UNAVAILABLE. */
  donations?: Donations;
  /** Serve the browser client (default true). */
  serveClient?: boolean;
  /** Cluster mode (REDIS_URL, server/cluster/): rooms on several nodes, limits counted in Redis. */
  cluster?: ClusterPlug;
}

export interface Application {
  app: express.Express;
  io: ArenaServer;
  rooms: RoomRegistry;
  metrics: ServerMetrics;
  /** Ends running rounds (results are published and finished games stored), then closes sockets. */
  shutdown(): Promise<void>;
}

export function createApplication(httpServer: HttpServer, deps: AppDeps): Application {
  const clock = deps.clock ?? createSystemClock();
  const log = deps.log ?? silentLogger();
  const metrics = deps.metrics ?? createMetrics();
  const now = () => clock.now();
  let shuttingDown = false;

  const app = express();
  app.disable('x-powered-by');
  if (deps.trustProxy) app.set('trust proxy', true);
  // Before Socket.IO attaches: it wraps the existing request listeners and keeps /socket.io/ for itself.
  httpServer.on('request', app);
  const io = createSocketServer(httpServer, { allowedOrigins: deps.allowedOrigins ?? [], metrics, log });
  // Cluster mode: the Redis adapter, and the cluster-wide connection limit ahead of the local one.
  deps.cluster?.adoptServer(io);
  /** Cluster mode: stand-ins for sockets on other nodes whose rooms run here, found by id like local ones. */
  const remoteSockets = new Map<string, ArenaSocket>();
  // Per-address limits count an IPv6 /64 as one address (server/net/client-address.ts).
  const clientIp = (socket: ArenaSocket): string => limitKey(socketAddress(socket.handshake, deps.trustProxy ?? false));

  const sessions = new Sessions(io, (id) => remoteSockets.get(id));
  const broadcaster = new StateBroadcaster(io, clock, STATE_BROADCAST_HZ, (code, v) =>
    sessions.socketsSpeaking(code, v),
  );
  const frames = createFramePipeline({
    engine: deps.engine,
    metrics,
    log,
    ...deps.inference,
    deliver: (job, probabilities) => deliverFrameResult(ctx, job, probabilities),
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
  const roomProbes = new ProbeThrottle(deps.failedJoinsPerIpPerMinute ?? 10, now);
  const roomsPerMinute = deps.roomsPerIpPerMinute ?? 10;
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
    clientIp,
    roomProbes,
    maxRooms: deps.maxRooms ?? DEFAULT_MAX_ROOMS,
    leaderboardDefaultLimit: 20,
    donations: deps.donations ?? null,
  };

  acceptConnections(
    io,
    {
      maxPerAddress: deps.maxConnectionsPerIp ?? 32,
      controlEventsPerSecond: deps.controlEventsPerSecond ?? 20,
      clientKey: clientIp,
      isShuttingDown: () => shuttingDown,
      now,
      metrics,
      log,
    },
    (socket) => {
      serveRoomEvents(ctx, socket);
      registerLeaderboardHandlers(ctx, socket);
      registerDonationHandlers(deps.donations ?? null, socket, log);
      if (socket.recovered) restoreRecoveredSession(ctx, socket);
    },
    (socket) => memberSocketGone(ctx, socket),
  );

  mountHttpRoutes(app, {
    log,
    serveClient: deps.serveClient ?? true,
    ops: {
      metrics,
      log,
      adminToken: deps.adminToken ?? null,
      engineName: () => deps.engine.name,
      modelInfo: deps.modelInfo ?? (() => null),
      reloadModel: deps.reloadModel ?? null,
      stats: () => ({
        rooms: rooms.size,
        connections: io.engine.clientsCount,
        ...(deps.cluster ? { cluster: deps.cluster.view() } : {}),
      }),
      isShuttingDown: () => shuttingDown || (deps.cluster?.draining ?? false),
      storeHealth: () => storeHealth(deps.store),
    },
    leaderboard: {
      store: deps.store,
      rooms,
      clock,
      log,
      roomProbes,
      roomLookupsPerMinute: deps.roomLookupsPerIpPerMinute ?? 30,
    },
  });

  deps.cluster?.attach({
    io,
    rooms,
    serveRemoteSocket: (socket) => {
      remoteSockets.set(socket.id, socket);
      serveRoomEvents(ctx, socket);
      // The gateway forwards a player's donation consent (and deletion) to the room's owner, which decides.
      registerDonationHandlers(deps.donations ?? null, socket, log);
    },
    socketGone: (socket) => {
      memberSocketGone(ctx, socket);
      remoteSockets.delete(socket.id);
    },
    clientKey: clientIp,
  });

  const stopGauges = startRoomGauges(rooms, metrics);
  return {
    app,
    io,
    rooms,
    metrics,
    async shutdown() {
      if (shuttingDown) return;
      shuttingDown = true;
      stopGauges();
      await closeGracefully({ io, rooms, frames, broadcaster, savesSettled: roomEvents.savesSettled });
    },
  };
}
