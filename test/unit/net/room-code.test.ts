/**
 * One room-code rule for both sides (shared/room-code.ts): what the browser accepts in the join
 * form and in a join link is exactly what room:join and GET /api/rooms/:code accept, for every
 * kind of input a player or a link produces.
 */
import { describe, expect, it } from 'vitest';
import {
  isRoomCode as clientIsRoomCode,
  normaliseRoomCode,
  roomCodeFromSearch,
} from '../../../client/src/net/validation.ts';
import { normalizeRoomCode as serverNormalize } from '../../../server/game/room-code.ts';
import { ROOM_CODE_ALPHABET } from '../../../shared/protocol.ts';
import { normalizeRoomCode, ROOM_CODE_MAX_INPUT } from '../../../shared/room-code.ts';

/** What the join form does with the text field (home-scene.ts): normalise, then check. */
const clientForm = (raw: string): string | null => {
  const c = normaliseRoomCode(raw);
  return clientIsRoomCode(c) ? c : null;
};
/** What a join link does: /?room=… read by the page. */
const clientLink = (raw: string): string | null => roomCodeFromSearch(`?${new URLSearchParams({ room: raw })}`);

const CLASSES: Record<string, { input: string; expected: string | null }[]> = {
  canonical: [{ input: 'ABC23', expected: 'ABC23' }],
  'lower case': [
    { input: 'abc23', expected: 'ABC23' },
    { input: 'aBc23', expected: 'ABC23' },
  ],
  spaces: [
    { input: ' ABC23 ', expected: 'ABC23' },
    { input: 'AB C23', expected: 'ABC23' },
    { input: 'A B C 2 3', expected: 'ABC23' },
    { input: '\tabc23\n', expected: 'ABC23' },
  ],
  dashes: [
    { input: 'AB-C23', expected: 'ABC23' },
    { input: 'ab-c 23', expected: 'ABC23' },
    { input: '-ABC23-', expected: 'ABC23' },
  ],
  'confusable letters': [
    { input: 'ABCD0', expected: null }, // zero
    { input: 'ABCDO', expected: null }, // letter O
    { input: 'ABCD1', expected: null },
    { input: 'ABCDI', expected: null },
    { input: 'abcdl', expected: null }, // l → L, not in the alphabet either
    { input: 'ΑBC23', expected: null }, // Greek capital alpha
  ],
  'wrong length': [
    { input: '', expected: null },
    { input: 'ABC2', expected: null },
    { input: 'ABC234', expected: null },
  ],
  'too long': [
    { input: 'ABC23'.padEnd(ROOM_CODE_MAX_INPUT, ' '), expected: 'ABC23' },
    { input: 'ABC23'.padEnd(ROOM_CODE_MAX_INPUT + 1, ' '), expected: null },
    { input: 'A'.repeat(1000), expected: null },
  ],
  'other characters': [
    { input: 'ABC_23', expected: null },
    { input: 'ABC.23', expected: null },
    { input: 'ABC/23', expected: null },
  ],
};

describe('room codes: one rule for client and server', () => {
  for (const [kind, cases] of Object.entries(CLASSES)) {
    it(`${kind}: the join form, a join link and the server agree`, () => {
      for (const { input, expected } of cases) {
        expect(normalizeRoomCode(input), JSON.stringify(input)).toBe(expected);
        expect(serverNormalize(input), JSON.stringify(input)).toBe(expected);
        expect(clientForm(input), JSON.stringify(input)).toBe(expected);
        expect(clientLink(input), JSON.stringify(input)).toBe(expected);
      }
    });
  }

  it('non-strings are no code', () => {
    for (const input of [12345, null, undefined, { code: 'ABC23' }, ['ABC23'], true]) {
      expect(normalizeRoomCode(input)).toBeNull();
      expect(serverNormalize(input)).toBeNull();
    }
  });

  it('every code the server draws reads back as itself on both sides', () => {
    for (const ch of ROOM_CODE_ALPHABET) {
      const code = ch.repeat(5);
      expect(serverNormalize(code.toLowerCase())).toBe(code);
      expect(clientForm(code.toLowerCase())).toBe(code);
    }
  });
});
