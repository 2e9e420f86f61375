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

// Reading a typed code is shared with the browser (one rule for both sides).
export { normalizeRoomCode } from '../../shared/room-code.ts';
