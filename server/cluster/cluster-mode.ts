/** Starts cluster mode from the configuration (REDIS_URL set); main.ts's only cluster wiring. */
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../logging.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { LeaderboardStore } from '../store/types.ts';
import { ClusterNode } from './cluster-node.ts';

export async function startClusterMode(
  config: ServerConfig,
  store: LeaderboardStore,
  log: Logger,
  metrics: ServerMetrics,
): Promise<ClusterNode | null> {
  if (!config.cluster) return null;
  return ClusterNode.start({
    redisUrl: config.cluster.redisUrl,
    ...(config.cluster.nodeId ? { nodeId: config.cluster.nodeId } : {}),
    log: log.child({ module: 'cluster' }),
    // MAX_ROOMS, MAX_CONNECTIONS_PER_IP and ROOMS_PER_IP_PER_MINUTE count over the whole cluster.
    roomCap: config.maxRooms,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    roomsPerIpPerMinute: config.roomsPerIpPerMinute,
    ...(store.check ? { pingDatabase: () => timed(() => store.check?.()) } : {}),
    registry: metrics.registry,
  });
}

/** How long `probe` takes, in ms (the store's health check doubles as the database ping). */
async function timed(probe: () => Promise<void> | undefined): Promise<number> {
  const t0 = performance.now();
  await probe();
  return performance.now() - t0;
}
