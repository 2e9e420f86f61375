/** Room codes: 5 characters from an alphabet without look-alikes, drawn with a cryptographic RNG. */
import { randomInt } from 'node:crypto';
import { ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH } from '../../shared/protocol.ts';

/** Returns an integer in [0, max). Defaults to node:crypto's randomInt (CSPRNG, unbiased). */
export type RandomIndex = (max: number) => number;

export function generateRoomCode(randomIndex: RandomIndex = randomInt): string {
  let code = '';
  for (let i = 0; i < ROOM_CODE_LENGTH; i++) code += ROOM_CODE_ALPHABET[randomIndex(ROOM_CODE_ALPHABET.length)];
  return code;
}

const CODE_PATTERN = new RegExp(`^[${ROOM_CODE_ALPHABET}]{${ROOM_CODE_LENGTH}}$`);

/** Upper-cases and trims what a player typed; returns null when it cannot be a room code. */
export function normalizeRoomCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 32) return null;
  const code = input.trim().toUpperCase();
  return CODE_PATTERN.test(code) ? code : null;
}
