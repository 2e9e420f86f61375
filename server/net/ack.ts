/**
 * Defensive event plumbing: a client may send any number of arguments of any type.
 * The acknowledgement, when present, is the last argument and a function; every
 * reply is an `Ack<T>`; a throwing handler answers INTERNAL instead of crashing.
 */
import { type Ack, ERROR_CODES, type ErrorCode } from '../../shared/protocol.ts';
import type { Logger } from '../logging.ts';
import type { ArenaSocket } from './types.ts';

export type Reply = (response: Ack<unknown>) => void;

export function ok<T>(data: T): Ack<T> {
  return { ok: true, data };
}

export function err(code: ErrorCode, message: string): Ack<never> {
  return { ok: false, error: { code, message } };
}

/** Registers `handler(args, reply)` for `event`; `reply` is a no-op when the client sent no acknowledgement. */
export function handle(
  socket: ArenaSocket,
  event: string,
  log: Logger,
  handler: (args: unknown[], reply: Reply, hasAck: boolean) => void | Promise<void>,
): void {
  const listener = (...raw: unknown[]) => {
    const last = raw[raw.length - 1];
    const ackFn = typeof last === 'function' ? (last as (r: unknown) => void) : null;
    const args = ackFn ? raw.slice(0, -1) : raw;
    let replied = false;
    const reply: Reply = (response) => {
      if (replied || !ackFn) return;
      replied = true;
      try {
        ackFn(response);
      } catch (e) {
        log.warn({ err: e, event }, 'acknowledgement failed');
      }
    };
    const fail = (e: unknown) => {
      log.error({ err: e, event, socket: socket.id }, 'handler failed');
      reply(err(ERROR_CODES.INTERNAL, 'internal server error'));
    };
    try {
      const r = handler(args, reply, ackFn !== null);
      if (r instanceof Promise) r.catch(fail);
    } catch (e) {
      fail(e);
    }
  };
  // The typed socket's `on` is keyed by event name; the listener above accepts anything by design.
  (socket as unknown as { on(e: string, l: (...a: unknown[]) => void): void }).on(event, listener);
}
