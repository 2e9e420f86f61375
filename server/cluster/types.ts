/** What the application hands the cluster layer, and what the cluster layer offers back. */
import type { RoomRegistry } from '../game/room-registry.ts';
import type { ProbeThrottle, RoomProbes } from '../net/probe-throttle.ts';
import type { RoomLookup } from '../net/room-summary.ts';
import type { ArenaServer, ArenaSocket } from '../net/types.ts';

/** The application's side, given to `ClusterPlug.attach` once everything is wired. */
export interface ClusterHost {
  io: ArenaServer;
  rooms: RoomRegistry;
  /** Registers the room, game and frame handlers on a stand-in for a socket on another node. */
  serveRemoteSocket(socket: ArenaSocket): void;
  /** What a disconnect does to a socket's room membership (the seat waits for a reconnect). */
  socketGone(socket: ArenaSocket): void;
  /** The key per-address limits count against. */
  clientKey(socket: ArenaSocket): string;
}

/** The health and metrics view of one node in the cluster. */
export interface ClusterView {
  nodeId: string;
  draining: boolean;
  roomsOwned: number;
  nodesAlive: number;
  redis: { reachable: boolean; latencyMs: number | null };
  postgres: { reachable: boolean; latencyMs: number | null } | null;
}

/** Cluster mode as the application sees it (absent in single-node mode). */
export interface ClusterPlug {
  /** Before the application's own middlewares: the Redis adapter and the cluster-wide connection limit. */
  adoptServer(io: ArenaServer): void;
  /** After everything is wired: routes sockets' room events to the nodes that own the rooms. */
  attach(host: ClusterHost): void;
  /** A room code claimed in Redis for a room this node is about to create (null: none ready). */
  takeRoomCode(): string | null;
  /**
   * The room-code guessing budget over the whole cluster (misses counted in Redis), with `local`,
   * this node's own count, deciding while Redis does not answer. Called once, before `attach`.
   */
  roomProbes(local: ProbeThrottle, failuresPerMinute: number): RoomProbes;
  /**
   * Room `code`, on this node or another, for GET /api/rooms/:code; `key` is the asking address,
   * whose guessing budget (counted over the cluster) is read in the same round trip as the owner.
   * Rejects when Redis or the room's node does not answer within a couple of seconds.
   */
  findRoom(code: string, key: string): Promise<RoomLookup>;
  readonly draining: boolean;
  view(): ClusterView;
}
