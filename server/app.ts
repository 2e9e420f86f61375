/**
 * Wires the game core, the model engine and the store to HTTP and Socket.IO.
 * `createApplication(httpServer, deps)` takes everything with state or I/O from
 * `deps`, so tests inject stores, clocks, engines and short game timings.
 */
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import express from 'express';
import { Server } from 'socket.io';
import type { Emotion } from '../shared/emotions.ts';
import {
  ERROR_CODES,
  GAME_LIMITS,
  type GameSettings,
  MAX_MESSAGE_BYTES,
  RECONNECT_GRACE_MS,
  SERVER_FRAME_RATE_LIMIT,
  STATE_BROADCAST_HZ,
} from '../shared/protocol.ts';
import type { ClusterPlug } from './cluster/types.ts';
import type { Donations } from './donations/donations.ts';
import { type Clock, createSystemClock } from './game/clock.ts';
import { LatestFrameQueue } from './game/latest-frame-queue.ts';
import { defaultPromptSet } from './game/prompts.ts';
import { ConcurrencyLimiter, KeyedRateLimiter, TokenBucket } from './game/rate-limiter.ts';
import { DEFAULT_TIMINGS, type GameTimings, type RoomListener } from './game/room.ts';
import { RoomRegistry } from './game/room-registry.ts';
import { DEFAULT_SCORING, type ScoringRules } from './game/scoring.ts';
import { createValidators, DEFAULT_SETTINGS_LIMITS, type SettingsLimits } from './game/validators.ts';
import { leaderboardRouter } from './http/leaderboard-routes.ts';
import { opsRouter } from './http/ops-routes.ts';
import { privacyRouter } from './http/privacy-route.ts';
import { securityHeaders } from './http/security-headers.ts';
import { registerClientAssets } from './http/static-assets.ts';
import { type Logger, silentLogger } from './logging.ts';
import { createMetrics, type ServerMetrics } from './metrics.ts';
import type { EmotionEngine } from './ml/engine/types.ts';
import { servedPublicRecall } from './ml/eval/report-types.ts';
import type { ModelInfo, ReloadResult } from './model-host.ts';
import { limitKey, socketAddress } from './net/client-address.ts';
import { type FrameJob, type NetContext, Sessions } from './net/context.ts';
import { registerDonationHandlers } from './net/donation-handlers.ts';
import { installEventGuard } from './net/event-guard.ts';
import { deliverFrameResult, frameKey, registerFrameHandlers } from './net/frame-handlers.ts';
import { registerGameHandlers } from './net/game-handlers.ts';
import { registerLeaderboardHandlers } from './net/leaderboard-handlers.ts';
import { originGuard } from './net/origin-check.ts';
import { ProbeThrottle } from './net/probe-throttle.ts';
import { DEFAULT_MAX_ROOMS, registerRoomHandlers, restoreRecoveredSession } from './net/room-handlers.ts';
import { StateBroadcaster } from './net/state-broadcaster.ts';
import { type ArenaServer, type ArenaSocket, roomChannel } from './net/types.ts';
import { saveFinishedGame, storeHealth } from './store/spooled-store.ts';
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
  const timings: GameTimings = { ...DEFAULT_TIMINGS, ...deps.timings };
  const scoring: ScoringRules = { ...DEFAULT_SCORING, ...deps.scoring };
  const validators = createValidators(deps.settingsLimits ?? DEFAULT_SETTINGS_LIMITS);
  const modelInfo = deps.modelInfo ?? (() => null);
  const pendingSaves = new Set<Promise<void>>();
  let shuttingDown = false;

  const app = express();
  app.disable('x-powered-by');
  if (deps.trustProxy) app.set('trust proxy', true);
  // Before Socket.IO attaches: it wraps the existing request listeners and keeps /socket.io/ for itself.
  httpServer.on('request', app);

  const io: ArenaServer = new Server(httpServer, {
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    connectionStateRecovery: { maxDisconnectionDuration: RECONNECT_GRACE_MS, skipMiddlewares: true },
    serveClient: false,
    allowRequest: originGuard(deps.allowedOrigins ?? [], (origin) => {
      metrics.rejectedConnections.inc({ reason: 'origin' });
      log.debug({ origin }, 'socket refused: foreign origin');
    }),
  });

  // Cluster mode: the Redis adapter, and the cluster-wide connection limit ahead of the local one.
  deps.cluster?.adoptServer(io);
  /** Cluster mode: stand-ins for sockets on other nodes whose rooms run here, found by id like local ones. */
  const remoteSockets = new Map<string, ArenaSocket>();

  const broadcaster = new StateBroadcaster(io, clock, STATE_BROADCAST_HZ);
  const sessions = new Sessions(io, (id) => remoteSockets.get(id));

  const defaultEmotions = (): Emotion[] => {
    const metricsJson = modelInfo()?.metrics ?? null;
    let recall: Partial<Record<Emotion, number>> | null = null;
    try {
      recall = metricsJson ? servedPublicRecall(metricsJson) : null;
    } catch (err) {
      log.warn({ err }, 'metrics.json of the served model is malformed; prompting all emotions');
    }
    return defaultPromptSet(recall);
  };

  const listener: RoomListener = {
    changed: (room) => broadcaster.changed(room),
    roundResults: (room, results) => {
      broadcaster.flush(room);
      io.to(roomChannel(room.code)).emit('round:results', results);
      deps.donations?.roundEnded(room.code, results);
    },
    gameFinished: (room, standings, record) => {
      broadcaster.flush(room);
      metrics.gamesFinished.inc();
      log.info(
        { room: room.code, game: record.id, rounds: record.rounds, players: record.players.length },
        'game finished',
      );
      // game:final waits for the store (a few ms), so players learn whether their result was saved.
      const save = saveFinishedGame(deps.store, record)
        .then((outcome) => {
          if (outcome.saved) return;
          metrics.gamesUnsaved.inc();
          // room.final is this same object: players who rejoin the room see it too.
          standings.notSaved = outcome.reason;
          log.error({ game: record.id, spooled: outcome.spooled, reason: outcome.reason }, 'finished game not saved');
        })
        .finally(() => {
          io.to(roomChannel(room.code)).emit('game:final', standings);
          pendingSaves.delete(save);
        });
      pendingSaves.add(save);
    },
    memberRemoved: (room, memberId, reason) => {
      frames.forget(frameKey(room.code, memberId));
      const socket = sessions.socketOf(room.code, memberId);
      sessions.forgetMember(room.code, memberId);
      if (socket) {
        if (reason === 'kicked') socket.emit('room:kicked', { reason: 'the host removed you from this room' });
        sessions.detach(socket);
      }
      log.info({ room: room.code, player: memberId, reason }, 'member removed');
    },
    empty: (room) => {
      broadcaster.forget(room.code);
      log.info({ room: room.code }, 'room closed (empty)');
    },
  };

  const rooms = new RoomRegistry({
    clock,
    random: deps.random ?? Math.random,
    timings,
    scoring,
    newGameId: randomUUID,
    // Cluster mode: codes claimed in Redis, unique across nodes.
    newCode: () => deps.cluster?.takeRoomCode() ?? null,
    listener,
    defaultSettings: () => ({
      rounds: deps.defaultSettings?.rounds ?? GAME_LIMITS.rounds.default,
      roundSeconds: deps.defaultSettings?.roundSeconds ?? GAME_LIMITS.roundSeconds.default,
      emotions: defaultEmotions(),
    }),
  });

  const frames: LatestFrameQueue<FrameJob> = new LatestFrameQueue<FrameJob>(
    (batch) => {
      metrics.inferenceBatchSize.observe(batch.length);
      return deps.engine.predict(batch);
    },
    {
      result: (_key, job, probabilities, latencyMs) => {
        metrics.inferenceLatency.observe(latencyMs / 1000);
        deliverFrameResult(ctx, job, probabilities);
      },
      stale: () => metrics.framesDropped.inc({ reason: 'stale' }),
      failed: (_key, job, err) => {
        metrics.framesDropped.inc({ reason: 'inference_error' });
        log.error({ err, room: job.roomCode }, 'inference failed');
      },
    },
    {
      maxBatch: deps.inference?.maxBatch ?? 32,
      maxInFlight: deps.inference?.maxInFlight ?? 2,
      now: () => performance.now(),
      schedule: (fn) => setImmediate(fn),
    },
  );

  const controlRate = deps.controlEventsPerSecond ?? 20;
  const frameBuckets = new WeakMap<ArenaSocket, TokenBucket>();
  const fps = deps.framesPerSecond ?? SERVER_FRAME_RATE_LIMIT;
  // Per-address limits count an IPv6 /64 as one address (server/net/client-address.ts).
  const clientIp = (socket: ArenaSocket): string => limitKey(socketAddress(socket.handshake, deps.trustProxy ?? false));
  const roomProbes = new ProbeThrottle(deps.failedJoinsPerIpPerMinute ?? 10, () => clock.now());

  const ctx: NetContext = {
    io,
    rooms,
    validators,
    store: deps.store,
    metrics,
    log,
    clock,
    frames,
    broadcaster,
    roomCreation: new KeyedRateLimiter((deps.roomsPerIpPerMinute ?? 10) / 60, deps.roomsPerIpPerMinute ?? 10, () =>
      clock.now(),
    ),
    frameLimiter: (socket) => {
      let b = frameBuckets.get(socket);
      if (!b) {
        b = new TokenBucket(fps, fps, () => clock.now());
        frameBuckets.set(socket, b);
      }
      return b;
    },
    sessions,
    clientIp,
    roomProbes,
    maxRooms: deps.maxRooms ?? DEFAULT_MAX_ROOMS,
    leaderboardDefaultLimit: 20,
    donations: deps.donations ?? null,
  };

  /** The handlers of a room member's events; a stand-in for a socket on another node gets the same. */
  const serveRoomEvents = (socket: ArenaSocket): void => {
    registerRoomHandlers(ctx, socket);
    registerGameHandlers(ctx, socket);
    registerFrameHandlers(ctx, socket);
  };
  /** A member's socket went away: the seat waits for a reconnect. */
  const memberSocketGone = (socket: ArenaSocket): void => {
    const { roomCode, playerId } = socket.data;
    if (roomCode && playerId && sessions.isCurrent(socket)) {
      sessions.forgetMember(roomCode, playerId);
      frames.forget(frameKey(roomCode, playerId));
      rooms.get(roomCode)?.disconnect(playerId);
    }
  };

  const connections = new ConcurrencyLimiter(deps.maxConnectionsPerIp ?? 32);
  const counted = new WeakSet<ArenaSocket>();
  io.use((socket, next) => {
    if (shuttingDown) return next(new Error('UNAVAILABLE: server is shutting down'));
    if (!connections.tryAcquire(clientIp(socket))) {
      metrics.rejectedConnections.inc({ reason: 'per_ip_limit' });
      return next(new Error('RATE_LIMITED: too many connections from this address'));
    }
    counted.add(socket);
    next();
  });

  io.on('connection', (socket) => {
    if (!counted.has(socket)) {
      // Recovered sessions skip middlewares; count them too.
      if (!connections.tryAcquire(clientIp(socket))) {
        socket.disconnect(true);
        return;
      }
      counted.add(socket);
    }
    metrics.connections.inc();
    installEventGuard(socket, { controlEventsPerSecond: controlRate, now: () => clock.now() });
    serveRoomEvents(socket);
    registerLeaderboardHandlers(ctx, socket);
    registerDonationHandlers(deps.donations ?? null, socket, log);
    if (socket.recovered) restoreRecoveredSession(ctx, socket);

    socket.on('disconnect', (reason) => {
      connections.release(clientIp(socket));
      metrics.connections.dec();
      memberSocketGone(socket);
      log.debug({ socket: socket.id, reason }, 'socket disconnected');
    });
  });

  app.use(securityHeaders());
  app.use(express.json({ limit: '4kb' }));
  app.use(
    opsRouter({
      metrics,
      log,
      adminToken: deps.adminToken ?? null,
      engineName: () => deps.engine.name,
      modelInfo,
      reloadModel: deps.reloadModel ?? null,
      stats: () => ({
        rooms: rooms.size,
        connections: io.engine.clientsCount,
        ...(deps.cluster ? { cluster: deps.cluster.view() } : {}),
      }),
      isShuttingDown: () => shuttingDown || (deps.cluster?.draining ?? false),
      storeHealth: () => storeHealth(deps.store),
    }),
  );
  app.use(
    leaderboardRouter({
      store: deps.store,
      rooms,
      clock,
      log,
      roomProbes,
      roomLookupsPerMinute: deps.roomLookupsPerIpPerMinute ?? 30,
    }),
  );
  app.use(privacyRouter(log));
  if (deps.serveClient ?? true) registerClientAssets(app);
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) log.error({ err }, 'http error');
    res.status(status).json({
      ok: false,
      error:
        status >= 500
          ? { code: 'INTERNAL', message: 'internal server error' }
          : { code: 'INVALID_PAYLOAD', message: String((err as Error).message ?? err) },
    });
  });

  deps.cluster?.attach({
    io,
    rooms,
    serveRemoteSocket: (socket) => {
      remoteSockets.set(socket.id, socket);
      serveRoomEvents(socket);
      // The gateway forwards a player's donation consent (and deletion) to the room's owner, which decides.
      registerDonationHandlers(deps.donations ?? null, socket, log);
    },
    socketGone: (socket) => {
      memberSocketGone(socket);
      remoteSockets.delete(socket.id);
    },
    clientKey: clientIp,
  });

  const gauges = setInterval(() => {
    metrics.rooms.set(rooms.size);
    let players = 0;
    for (const r of rooms.all()) players += r.connectedCount;
    metrics.players.set(players);
  }, 1000);
  gauges.unref();

  return {
    app,
    io,
    rooms,
    metrics,
    async shutdown() {
      if (shuttingDown) return;
      shuttingDown = true;
      clearInterval(gauges);
      for (const room of rooms.all()) room.finishNow();
      await Promise.allSettled([...pendingSaves]);
      frames.close();
      broadcaster.close();
      // Say why the connection is about to drop (this node's sockets only, also in cluster mode).
      io.local.emit('server:error', {
        code: ERROR_CODES.SERVER_RESTARTING,
        message: 'the server is restarting; your finished games are saved. Reconnect in a moment.',
      });
      // Give the final round:results / game:final / server:error packets a moment to leave before closing sockets.
      await new Promise((r) => setTimeout(r, 100));
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
      });
    },
  };
}
