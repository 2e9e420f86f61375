/**
 * The first middleware every incoming event passes: a per-socket budget for control
 * events (frames have their own limit), then a check that the event is one the
 * protocol defines. docs/protocol.md promises an answer to every acknowledged event,
 * so an unknown one with an acknowledgement gets INVALID_PAYLOAD instead of silence.
 */
import { isClientEvent } from '../../shared/events.ts';
import { ERROR_CODES, type ErrorCode } from '../../shared/protocol.ts';
import { TokenBucket } from './rate-limiter.ts';
import type { ArenaSocket } from './types.ts';

export interface EventGuardOptions {
  /** Control events per second (burst of twice this). */
  controlEventsPerSecond: number;
  now: () => number;
}

function answer(packet: unknown[], code: ErrorCode, message: string): void {
  const ack = packet[packet.length - 1];
  if (typeof ack === 'function') (ack as (r: unknown) => void)({ ok: false, error: { code, message } });
}

export function installEventGuard(socket: ArenaSocket, options: EventGuardOptions): void {
  const rate = options.controlEventsPerSecond;
  const controlBucket = new TokenBucket(rate, rate * 2, options.now);
  socket.use((packet, next) => {
    const event = packet[0];
    if (event === 'frame:send') return next();
    // Unknown events spend the budget too, or they would be a free way to make the server work.
    if (!controlBucket.tryTake()) return answer(packet, ERROR_CODES.RATE_LIMITED, 'too many requests; slow down');
    if (!isClientEvent(event)) {
      return answer(packet, ERROR_CODES.INVALID_PAYLOAD, `unknown event "${String(event).slice(0, 40)}"`);
    }
    next();
  });
}
