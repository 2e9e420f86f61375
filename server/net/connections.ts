/**
 * Who may connect and how much a connection may ask: a cap on concurrent connections per
 * address (recovered sessions skip middlewares, so they are counted on arrival), the
 * per-socket control-event budget (event-guard.ts), and the bookkeeping when a socket goes.
 */
import type { Logger } from '../logging.ts';
import type { ServerMetrics } from '../metrics.ts';
import { installEventGuard } from './event-guard.ts';
import { ConcurrencyLimiter } from './rate-limiter.ts';
import type { ArenaServer, ArenaSocket } from './types.ts';

export interface ConnectionOptions {
  maxPerAddress: number;
  /** Control events per second per socket (burst of twice this). */
  controlEventsPerSecond: number;
  /** The key the per-address limit counts against (client-address.ts). */
  clientKey: (socket: ArenaSocket) => string;
  isShuttingDown: () => boolean;
  now: () => number;
  metrics: ServerMetrics;
  log: Logger;
}

/** Calls `serve` for every admitted socket and `gone` when it disconnects. */
export function acceptConnections(
  io: ArenaServer,
  options: ConnectionOptions,
  serve: (socket: ArenaSocket) => void,
  gone: (socket: ArenaSocket) => void,
): void {
  const { metrics, clientKey } = options;
  const connections = new ConcurrencyLimiter(options.maxPerAddress);
  const counted = new WeakSet<ArenaSocket>();

  io.use((socket, next) => {
    if (options.isShuttingDown()) return next(new Error('UNAVAILABLE: server is shutting down'));
    if (!connections.tryAcquire(clientKey(socket))) {
      metrics.rejectedConnections.inc({ reason: 'per_ip_limit' });
      return next(new Error('RATE_LIMITED: too many connections from this address'));
    }
    counted.add(socket);
    next();
  });

  io.on('connection', (socket) => {
    if (!counted.has(socket)) {
      // Recovered sessions skip middlewares; count them too.
      if (!connections.tryAcquire(clientKey(socket))) {
        socket.disconnect(true);
        return;
      }
      counted.add(socket);
    }
    metrics.connections.inc();
    installEventGuard(socket, { controlEventsPerSecond: options.controlEventsPerSecond, now: options.now });
    serve(socket);
    socket.on('disconnect', (reason) => {
      connections.release(clientKey(socket));
      metrics.connections.dec();
      gone(socket);
      options.log.debug({ socket: socket.id, reason }, 'socket disconnected');
    });
  });
}
