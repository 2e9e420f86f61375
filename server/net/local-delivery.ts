/**
 * Keeps the per-frame traffic off the Socket.IO adapter's slow paths.
 *
 * With connection state recovery on, Socket.IO sends *every* emit — `socket.emit` included —
 * through `adapter.broadcast`, which (a) stores it for replay to a socket that reconnects within
 * the grace period, and (b) with the Redis adapter of cluster mode, publishes it to every node,
 * even when its only addressee is a socket on this node. At hundreds of players that is a
 * frame:result and a share of a room:patch per frame: a replay buffer of hundreds of thousands
 * of packets kept for the whole grace period (GC work), and a Redis message per frame decoded by
 * every node for nothing.
 *
 * So:
 * - the high-rate, superseded-anyway events (TRANSIENT_EVENTS) are never stored for replay: a
 *   recovered client gets a whole `room:state` at once (restoreRecoveredSession), and a replayed
 *   meter or frame score from before the gap would be stale. Addressed only to sockets of this node (or on a single
 *   node, whatever they are addressed to), they are delivered directly;
 * - every other event (round results, the final standings, errors) keeps the adapter's own path,
 *   so it is stored for replay; addressed only to sockets of this node, it is not published to
 *   other nodes (`local` flag).
 * Packets for a room channel or for sockets of other nodes in a cluster go the adapter's usual
 * way (the Redis adapter stores nothing).
 *
 * A wrapper around whichever adapter is in use rather than a subclass, because the Redis
 * adapter is only available as a factory (`createAdapter`).
 */
import type { ServerOptions } from 'socket.io';
import { Adapter, type BroadcastOptions } from 'socket.io-adapter';
import type { ServerToClientEvents } from '../../shared/events.ts';

type AdapterConstructor = NonNullable<ServerOptions['adapter']>;

/**
 * Sent many times a second and superseded by the next one: not worth replaying after a
 * reconnect. `room:state` is not one of them: whole states are rare (joins, phase changes, one
 * keyframe a second), and a stored packet is what gives a client the offset it needs to be
 * recovered at all; replayed old states are ignored by revision (client room-state-sync.ts).
 */
export const TRANSIENT_EVENTS: ReadonlySet<keyof ServerToClientEvents> = new Set(['frame:result', 'room:patch']);

interface EventPacket {
  type: number;
  data?: unknown[];
  id?: number;
}

/** socket.io-parser's EVENT packet type. */
const EVENT = 2;

/** The in-memory adapter's delivery to this node's sockets, without storing or publishing. */
const deliverHere = Adapter.prototype.broadcast;

/**
 * `single-node`: the in-memory adapter; every socket is on this node. `cluster`: an adapter that
 * publishes to other nodes.
 */
export type DeliveryScope = 'single-node' | 'cluster';

export function withLocalDelivery(base: AdapterConstructor, scope: DeliveryScope): AdapterConstructor {
  // Socket.IO calls the constructor with `new`; returning an object from a function works for
  // both a class and the Redis adapter's factory.
  return function localDeliveryAdapter(this: unknown, nsp: unknown) {
    const adapter = new (base as new (nsp: unknown) => Adapter)(nsp);
    const viaAdapter = adapter.broadcast.bind(adapter);
    adapter.broadcast = (packet: EventPacket, opts: BroadcastOptions) => {
      if (packet.type !== EVENT || packet.id !== undefined) return viaAdapter(packet, opts);
      const here = scope === 'single-node' || allHere(adapter, opts);
      if (TRANSIENT_EVENTS.has(packet.data?.[0] as keyof ServerToClientEvents)) {
        return here ? deliverHere.call(adapter, packet, opts) : viaAdapter(packet, opts);
      }
      return here && scope === 'cluster'
        ? viaAdapter(packet, { ...opts, flags: { ...opts.flags, local: true } })
        : viaAdapter(packet, opts);
    };
    return adapter;
  } as unknown as AdapterConstructor;
}

/** True when every addressee is a socket id of this node (each socket is in a room named by its id). */
function allHere(adapter: Adapter, opts: BroadcastOptions): boolean {
  if (opts.rooms.size === 0 || (opts.except && opts.except.size > 0) || opts.flags?.local) return false;
  const sockets = (adapter.nsp as { sockets: Map<string, unknown> }).sockets;
  for (const room of opts.rooms) if (!sockets.has(room)) return false;
  return true;
}
