/**
 * The Socket.IO server: message size cap, connection state recovery, the Origin check and the
 * parser that reads protocol 3 frames.
 */
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { SessionAwareAdapter } from 'socket.io-adapter';
import { MAX_MESSAGE_BYTES, RECONNECT_GRACE_MS } from '../../shared/protocol.ts';
import type { Logger } from '../logging.ts';
import type { ServerMetrics } from '../metrics.ts';
import { arenaParser } from './frame-parser.ts';
import { FrameTapServer } from './frame-tap.ts';
import { withLocalDelivery } from './local-delivery.ts';
import { originGuard } from './origin-check.ts';
import type { ArenaServer } from './types.ts';

export function createSocketServer(
  httpServer: HttpServer,
  options: { allowedOrigins: readonly string[]; metrics: ServerMetrics; log: Logger },
): ArenaServer {
  return new Server(httpServer, {
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    connectionStateRecovery: { maxDisconnectionDuration: RECONNECT_GRACE_MS, skipMiddlewares: true },
    // The adapter recovery needs, minus replaying per-frame traffic (local-delivery.ts).
    adapter: withLocalDelivery(SessionAwareAdapter, 'single-node'),
    serveClient: false,
    // Protocol 3's one-message frames (frame-parser.ts); every other packet is parsed as by default.
    parser: arenaParser,
    // ...and, once a socket is connected, the short way in for them (frame-tap.ts).
    wsEngine: FrameTapServer,
    allowRequest: originGuard(options.allowedOrigins, (origin) => {
      options.metrics.rejectedConnections.inc({ reason: 'origin' });
      options.log.debug({ origin }, 'socket refused: foreign origin');
    }),
  });
}
