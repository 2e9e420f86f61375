/**
 * The owner node's stand-in for a player socket that lives on another node (its gateway).
 * The game's ordinary socket handlers are registered on it, so a forwarded event runs exactly
 * the code a local one does. What the handlers do to "the socket" is sent back to the gateway:
 * direct emits, acknowledgements, and joining or leaving the room's channel. (Broadcasts to the
 * channel need nothing from here: the Socket.IO Redis adapter delivers them on every node.)
 */
import type { SocketData } from '../../shared/events.ts';
import type { ClusterMessage, ForwardedHandshake } from './messages.ts';

type Listener = (...args: unknown[]) => void;

export class RemoteSocket {
  readonly data: SocketData = {};
  readonly recovered = false;
  readonly handshake: ForwardedHandshake & {
    time: string;
    issued: number;
    query: Record<string, string>;
    auth: { v: number };
  };
  private readonly listeners = new Map<string, Listener[]>();

  constructor(
    readonly id: string,
    /** The node whose real socket this stands for. */
    readonly gateway: string,
    handshake: ForwardedHandshake,
    private readonly ownerId: string,
    private readonly send: (node: string, message: ClusterMessage) => void,
  ) {
    this.handshake = {
      ...handshake,
      time: new Date().toString(),
      issued: Date.now(),
      query: {},
      // Where protocol-version.ts reads it, as from a real socket's handshake.
      auth: { v: handshake.v ?? 1 },
    };
  }

  private open = true;

  get connected(): boolean {
    return this.open;
  }

  on(event: string, listener: Listener): this {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return this;
  }

  /** Socket middlewares (per-event budgets) already ran on the gateway. */
  use(): this {
    return this;
  }

  emit(event: string, ...args: unknown[]): boolean {
    this.send(this.gateway, { t: 'emit', sid: this.id, ev: event, args });
    return true;
  }

  join(channel: string): void {
    this.send(this.gateway, { t: 'join', sid: this.id, ch: channel, owner: this.ownerId });
  }

  leave(channel: string): void {
    this.send(this.gateway, { t: 'leave', sid: this.id, ch: channel });
  }

  /**
   * The real socket disconnected (or moved to a room elsewhere): runs the handlers' own
   * `disconnect` listeners, as Socket.IO would for a local socket (e.g. consent is forgotten).
   */
  close(reason: string): void {
    if (!this.open) return;
    this.open = false;
    for (const l of this.listeners.get('disconnect') ?? []) l(reason);
  }

  /** Runs the listeners of a forwarded event; false when the event has none (not a game event). */
  dispatch(event: string, args: unknown[], ack: ((response: unknown) => void) | null): boolean {
    // Socket.IO reserves `disconnect`: a client cannot send it, so neither can a gateway on its behalf.
    const list = event === 'disconnect' ? undefined : this.listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const l of list) l(...args, ...(ack ? [ack] : []));
    return true;
  }
}
