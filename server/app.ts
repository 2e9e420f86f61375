/**
 * The composition root: wiring only. It builds the HTTP app and the Socket.IO server, gets the
 * game context (room registry, frame pipeline, broadcaster, room events: server/net/game-context.ts)
 * and connects it to connections, routes and, in cluster mode, the other nodes. Each part lives in
 * its own module under server/net/ and server/http/. `createApplication(httpServer, deps)` takes
 * everything with state or I/O from `deps` (server/app-deps.ts).
 */
import type { Server as HttpServer } from 'node:http';
import express from 'express';
import type { AppDeps } from './app-deps.ts';
import { createSystemClock } from './game/clock.ts';
import type { RoomRegistry } from './game/room-registry.ts';
import { mountHttpRoutes } from './http/routes.ts';
import { silentLogger } from './logging.ts';
import { createMetrics, type ServerMetrics } from './metrics.ts';
import { limitKey, socketAddress } from './net/client-address.ts';
import { acceptConnections } from './net/connections.ts';
import { registerDonationHandlers } from './net/donation-handlers.ts';
import { createGameContext } from './net/game-context.ts';
import { registerLeaderboardHandlers } from './net/leaderboard-handlers.ts';
import { memberSocketGone, serveRoomEvents } from './net/members.ts';
import { startRoomGauges } from './net/room-gauges.ts';
import { restoreRecoveredSession } from './net/room-handlers.ts';
import { closeGracefully } from './net/shutdown.ts';
import { createSocketServer } from './net/socket-server.ts';
import type { ArenaServer, ArenaSocket } from './net/types.ts';
import { storeHealth } from './store/spooled-store.ts';

export type { AppDeps };

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
  // Per-address limits count an IPv6 /64 as one address (server/net/client-address.ts).
  const clientIp = (socket: ArenaSocket): string => limitKey(socketAddress(socket.handshake, deps.trustProxy ?? false));
  const { ctx, rooms, frames, broadcaster, roomEvents, remoteSockets } = createGameContext(io, deps, {
    clock,
    log,
    metrics,
    clientIp,
  });

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
      roomProbes: ctx.roomProbes,
      roomLookupsPerMinute: deps.roomLookupsPerIpPerMinute ?? 30,
      // Cluster mode: a code that is not this node's is looked for on the others.
      ...(deps.cluster ? { findRoom: deps.cluster.findRoom.bind(deps.cluster) } : {}),
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
