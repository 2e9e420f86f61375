/** donation:consent and donation:delete (docs/privacy.md): validate, then ask the donation service. */
import { ERROR_CODES, PLAYER_TOKEN_PATTERN } from '../../shared/protocol.ts';
import type { Donations } from '../donations/donations.ts';
import type { Logger } from '../logging.ts';
import { err, handle, ok } from './ack.ts';
import type { ArenaSocket } from './types.ts';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

function checkToken(payload: unknown, event: string): Checked<Record<string, unknown> & { playerToken: string }> {
  if (typeof payload !== 'object' || payload === null) return { ok: false, message: `${event} expects an object` };
  const { playerToken } = payload as { playerToken?: unknown };
  if (typeof playerToken !== 'string' || !PLAYER_TOKEN_PATTERN.test(playerToken)) {
    return { ok: false, message: 'playerToken must be 16–64 characters of A-Z a-z 0-9 _ -' };
  }
  return { ok: true, value: { ...(payload as Record<string, unknown>), playerToken } };
}

/**
 * A valid `donation:consent` payload, reduced to its two fields (anything else a client adds is
 * dropped). The cluster gateway uses it to decide which consent it carries to a room's owner.
 */
export function parseConsent(payload: unknown): Checked<{ playerToken: string; consent: boolean }> {
  const req = checkToken(payload, 'donation:consent');
  if (!req.ok) return req;
  if (typeof req.value.consent !== 'boolean') return { ok: false, message: 'consent must be true or false' };
  return { ok: true, value: { playerToken: req.value.playerToken, consent: req.value.consent } };
}

/** A valid `donation:delete` payload, reduced to the token (the cluster gateway checks it before asking every node). */
export function parseDelete(payload: unknown): Checked<{ playerToken: string }> {
  const req = checkToken(payload, 'donation:delete');
  return req.ok ? { ok: true, value: { playerToken: req.value.playerToken } } : req;
}

/** `donations` is null when the server was started without a donation store: both events answer UNAVAILABLE. */
export function registerDonationHandlers(donations: Donations | null, socket: ArenaSocket, log: Logger): void {
  if (!donations) {
    const unavailable = err(ERROR_CODES.UNAVAILABLE, 'this server does not collect donations');
    handle(socket, 'donation:consent', log, (_args, reply) => reply(unavailable));
    handle(socket, 'donation:delete', log, (_args, reply) => reply(unavailable));
    return;
  }
  handle(socket, 'donation:consent', log, (args, reply) => {
    const req = parseConsent(args[0]);
    if (!req.ok) return reply(err(ERROR_CODES.INVALID_PAYLOAD, req.message));
    reply(ok(donations.consent(socket.id, req.value.playerToken, req.value.consent)));
  });

  handle(socket, 'donation:delete', log, async (args, reply) => {
    const req = parseDelete(args[0]);
    if (!req.ok) return reply(err(ERROR_CODES.INVALID_PAYLOAD, req.message));
    try {
      reply(ok({ deleted: await donations.deleteByToken(req.value.playerToken) }));
    } catch (e) {
      log.error({ err: e }, 'deleting donations failed');
      reply(err(ERROR_CODES.UNAVAILABLE, 'your donations could not be deleted right now; please try again'));
    }
  });

  socket.on('disconnect', () => donations.forgetSocket(socket.id));
}
