/** Client-side checks mirrored from the protocol so players get instant feedback. Pure. */

import { checkNickname } from '../../../shared/nickname.ts';
import {
  NICKNAME_MAX_LENGTH,
  NICKNAME_MIN_LENGTH,
  NICKNAME_PATTERN,
  ROOM_CODE_ALPHABET,
  ROOM_CODE_LENGTH,
} from '../../../shared/protocol.ts';

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

/** Upper-cases and strips spaces/dashes people type when reading a code aloud. */
export function normaliseRoomCode(raw: string): string {
  return raw.toUpperCase().replace(/[\s-]/g, '');
}

export function isRoomCode(code: string): boolean {
  if (code.length !== ROOM_CODE_LENGTH) return false;
  for (const ch of code) if (!ROOM_CODE_ALPHABET.includes(ch)) return false;
  return true;
}

/** Reads `?room=CODE` from a join link. */
export function roomCodeFromSearch(search: string): string | null {
  const raw = new URLSearchParams(search).get('room');
  if (raw === null) return null;
  const code = normaliseRoomCode(raw);
  return isRoomCode(code) ? code : null;
}

export function joinLink(origin: string, code: string): string {
  return `${origin}/?room=${encodeURIComponent(code)}`;
}
