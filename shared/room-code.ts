/**
 * The one rule for reading a room code a person typed or a link carried, applied by the browser
 * (instant feedback, join links) and by the server (room:join, GET /api/rooms/:code, cluster
 * routing), so both always agree on what a code is.
 */
import { ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH } from './protocol.ts';

/** Longer input is refused before any work: nobody types 32 characters for a 5-character code. */
export const ROOM_CODE_MAX_INPUT = 32;

const CODE_PATTERN = new RegExp(`^[${ROOM_CODE_ALPHABET}]{${ROOM_CODE_LENGTH}}$`);

/** True for a canonical code: exactly ROOM_CODE_LENGTH characters of ROOM_CODE_ALPHABET. */
export function isRoomCode(code: string): boolean {
  return CODE_PATTERN.test(code);
}

/**
 * The canonical code, or null when `input` cannot be one. Case does not matter, and spaces and
 * dashes people add when reading a code aloud ("ab-c 23") are dropped. Look-alike characters the
 * alphabet leaves out (I, L, O, 0, 1) are not guessed at: they make the input no code.
 */
export function normalizeRoomCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > ROOM_CODE_MAX_INPUT) return null;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return isRoomCode(code) ? code : null;
}
