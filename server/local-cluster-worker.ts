/**
 * The worker side of start:multi (server/local-cluster.ts): a process it forks does not
 * listen; the primary hands it connections over IPC (@socket.io/sticky's protocol) and the
 * Engine.IO session ids it makes name it, so long-polling requests find their way back.
 *
 * It tells the primary when it can serve (READY_MESSAGE): @socket.io/sticky only listens for
 * handed-over connections once `setupWorker` runs, after the model has loaded, and a connection
 * handed over before that is dropped on the floor, still open, its player waiting forever
 * (docs/capacity.md, "The hang"). The primary hands a process nothing until then.
 */
import cluster from 'node:cluster';
import { setupWorker } from '@socket.io/sticky';
import type { Server } from 'socket.io';
import { sessionIdFor } from './local-cluster-router.ts';

/** Set by the primary in the environment of each process it forks. */
export const LOCAL_CLUSTER_ENV = 'ARENA_LOCAL_CLUSTER_WORKER';

/** Sent to the primary once this process serves the connections it is handed. */
export const READY_MESSAGE = 'arena:ready';

/** True in a process forked by start:multi. */
export function underLocalCluster(): boolean {
  return cluster.isWorker && process.env[LOCAL_CLUSTER_ENV] === '1';
}

/** Serves the connections the primary hands over, instead of listening on a port. */
export function acceptFromPrimary(io: Server): void {
  // Session ids name this process, so the primary routes a long-polling request to it without
  // waiting to be told which sessions are whose (local-cluster-router.ts).
  const self = cluster.worker?.id;
  if (self !== undefined) io.engine.generateId = () => sessionIdFor(self);
  setupWorker(io);
  process.send?.({ type: READY_MESSAGE });
  // The primary is gone (killed, crashed): no connection can reach this process any more.
  // Stop the way an orchestrator would, so running games finish and are stored.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
