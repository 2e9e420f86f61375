/** Client-side checks mirrored from the protocol so players get instant feedback. Pure. */

import { checkNickname } from '../../../shared/nickname.ts';
import { NICKNAME_MAX_LENGTH, NICKNAME_MIN_LENGTH, NICKNAME_PATTERN } from '../../../shared/protocol.ts';
import { normalizeRoomCode } from '../../../shared/room-code.ts';

export { isRoomCode } from '../../../shared/room-code.ts';

export function nicknameProblem(raw: string): string | null {
  const name = raw.trim();
  if (name.length < NICKNAME_MIN_LENGTH) return `Nickname needs at least ${NICKNAME_MIN_LENGTH} characters.`;
  if (name.length > NICKNAME_MAX_LENGTH) return `Nickname can have at most ${NICKNAME_MAX_LENGTH} characters.`;
  if (!NICKNAME_PATTERN.test(name)) return 'Use letters, digits, space, _ . or - only.';
  // The server's rule (invisible characters, one alphabet per name), so the player hears it before joining.
  const check = checkNickname(name);
  if (!check.ok) return `${check.reason[0]?.toUpperCase() ?? ''}${check.reason.slice(1)}.`;
  return null;
}

/**
 * The server's rule (shared/room-code.ts) for what the player typed: the canonical code, or ''
 * when it cannot be one (so `isRoomCode` of the result is false and the form says why).
 */
export function normaliseRoomCode(raw: string): string {
  return normalizeRoomCode(raw) ?? '';
}

/** Reads `?room=CODE` from a join link. */
export function roomCodeFromSearch(search: string): string | null {
  const raw = new URLSearchParams(search).get('room');
  return raw === null ? null : normalizeRoomCode(raw);
}

export function joinLink(origin: string, code: string): string {
  return `${origin}/?room=${encodeURIComponent(code)}`;
}
