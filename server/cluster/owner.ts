/**
 * The owner half of a node: runs room events forwarded by other nodes' gateways against
 * stand-ins (RemoteSocket) for their sockets, with the application's ordinary handlers.
 */
import { ERROR_CODES } from '../../shared/protocol.ts';
import type { Logger } from '../logging.ts';
import { err } from '../net/ack.ts';
import type { ArenaSocket } from '../net/types.ts';
import { NODE_DRAINING_MESSAGE } from './gateway.ts';
import type { ClusterMessage } from './messages.ts';
import type { RedisPresence } from './presence.ts';
import { RemoteSocket } from './remote-socket.ts';
import type { ClusterHost } from './types.ts';

export interface OwnerDeps {
  nodeId: string;
  presence: RedisPresence;
  send(node: string, message: ClusterMessage): void;
  host: ClusterHost;
  log: Logger;
  isDraining(): boolean;
  ensureRoomCode(): Promise<void>;
}

/** The RemoteSocket does what the handlers use of a socket; the cast is the one place that says so. */
const asSocket = (s: RemoteSocket): ArenaSocket => s as unknown as ArenaSocket;

export class Owner {
  private readonly standIns = new Map<string, RemoteSocket>();

  constructor(private readonly deps: OwnerDeps) {}

  get remoteSockets(): number {
    return this.standIns.size;
  }

  async onEvent(m: Extract<ClusterMessage, { t: 'event' }>): Promise<void> {
    const { send } = this.deps;
    const reply = m.ack === null ? null : (res: unknown) => send(m.gw, { t: 'ack', ack: m.ack as number, res });
    if ((m.ev === 'game:start' || m.ev === 'room:create') && this.deps.isDraining()) {
      reply?.(err(ERROR_CODES.UNAVAILABLE, NODE_DRAINING_MESSAGE));
      return;
    }
    if (m.ev === 'room:create') await this.deps.ensureRoomCode();
    let socket = this.standIns.get(m.sid);
    if (!socket) {
      socket = new RemoteSocket(m.sid, m.gw, m.hs, this.deps.nodeId, send);
      this.standIns.set(m.sid, socket);
      this.deps.host.serveRemoteSocket(asSocket(socket));
    }
    if (!socket.dispatch(m.ev, m.args, reply)) {
      reply?.(err(ERROR_CODES.INVALID_PAYLOAD, `"${m.ev.slice(0, 32)}" is not a room event`));
    }
  }

  /** The gateway's socket disconnected (or moved to a room elsewhere): the player counts as disconnected. */
  onGone(sid: string): void {
    const socket = this.standIns.get(sid);
    if (!socket) return;
    this.standIns.delete(sid);
    this.deps.host.socketGone(asSocket(socket));
    socket.close('transport close');
  }

  /** Stand-ins whose gateway node died: their sockets died with it. */
  async checkGateways(): Promise<void> {
    const gateways = [...new Set([...this.standIns.values()].map((s) => s.gateway))];
    if (gateways.length === 0) return;
    const alive = await this.deps.presence.aliveOf(gateways);
    for (const [sid, s] of this.standIns) {
      if (alive.has(s.gateway)) continue;
      this.deps.log.warn(
        { socket: sid, gateway: s.gateway },
        'gateway node stopped; its player counts as disconnected',
      );
      this.onGone(sid);
    }
  }
}
