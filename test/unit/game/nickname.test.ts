/**
 * Nicknames that cannot impersonate: every name below was accepted next to "Alice" before
 * (issue 15); now each is refused, either outright (invisible characters, mixed alphabets)
 * or as too close to "Alice" in the room. The same rule runs in the client's form.
 */
import { describe, expect, it } from 'vitest';
import { nicknameProblem } from '../../../client/src/net/validation.ts';
import type { Clock } from '../../../server/game/clock.ts';
import { DEFAULT_TIMINGS, Room, type RoomListener } from '../../../server/game/room.ts';
import { DEFAULT_SCORING } from '../../../server/game/scoring.ts';
import { checkNickname, nicknamesCollide } from '../../../shared/nickname.ts';

const quiet: RoomListener = { changed() {}, roundResults() {}, gameFinished() {}, memberRemoved() {}, empty() {} };
const clock: Clock = { now: () => 0, setTimeout: () => 0 as never, clearTimeout() {} };

function roomWithAlice(): Room {
  const room = new Room(
    'ABCDE',
    { rounds: 3, roundSeconds: 10, emotions: ['happy'] },
    {
      clock,
      random: () => 0.5,
      timings: DEFAULT_TIMINGS,
      scoring: DEFAULT_SCORING,
      newGameId: () => 'g',
      listener: quiet,
    },
  );
  expect(room.join('alice-token-0000000', 'Alice').ok).toBe(true);
  return room;
}

describe('nicknames next to "Alice"', () => {
  const attempts: [string, string, RegExp][] = [
    ['Greek capital alpha', '\u0391lice', /mixes alphabets \(Greek, Latin\)/],
    ['Cyrillic і', 'Al\u0456ce', /mixes alphabets \(Cyrillic, Latin\)/],
    ['Latin dotless ı', 'Al\u0131ce', /too close to "Alice"/],
    ['Cherokee ᎪᏞᏆᏟᎬ', '\u13aa\u13de\u13c6\u13df\u13ac', /too close to "Alice"/],
    ['two Hangul fillers', '\u3164\u3164', /invisible or blank filler/],
    ['a Hangul filler inside', 'A\u3164lice', /invisible or blank filler/],
    ['Hangul choseong filler', 'Al\u115fice', /invisible or blank filler/],
    ['Hangul jungseong filler', 'Al\u1160ice', /invisible or blank filler/],
    ['halfwidth Hangul filler', 'Al\uffa0ice', /invisible or blank filler/],
    ['capital I for l', 'AIice', /too close to "Alice"/],
    ['all capitals', 'ALICE', /too close to "Alice"/],
    ['separators', 'a_l.i c-e', /too close to "Alice"/],
    ['fullwidth letters', '\uff21\uff4c\uff49\uff43\uff45', /too close to "Alice"/],
  ];
  for (const [what, name, message] of attempts) {
    it(`refuses ${what} (${JSON.stringify(name)}) with a reason the player can read`, () => {
      const room = roomWithAlice();
      const joined = room.join(`imposter-token-${name.length}xxxx`, name);
      expect(joined.ok).toBe(false);
      if (!joined.ok) expect(joined.message).toMatch(message);
    });
  }

  it('keeps names that only resemble each other in spelling, and other alphabets on their own', () => {
    const room = roomWithAlice();
    for (const [i, name] of [
      'Alise',
      'Alicia',
      'Zoë_2',
      '山田太郎',
      '田中 Taro',
      'Влад',
      'Ελένη',
      'やまだ',
    ].entries()) {
      expect(room.join(`other-token-${i}-xxxxxxx`, name)).toMatchObject({ ok: true });
    }
  });

  it('the client form gives the same answer before the player joins', () => {
    expect(nicknameProblem('A\u3164lice')).toMatch(/invisible/);
    expect(nicknameProblem('\u0391lice')).toMatch(/alphabets/);
    expect(nicknameProblem('Zoë_2')).toBeNull();
  });

  it('the look-alike relation is symmetric and folds confusables from Unicode data, not a hand list', () => {
    const pairs: [string, string][] = [
      ['Alice', '\u13aa\u13de\u13c6\u13df\u13ac'],
      ['paypal', '\u0440\u0430\u0443\u0440\u0430l'], // Cyrillic р а у р а + Latin l (refused for mixing, but also a look-alike)
      ['mary', 'rnary'],
      ['Bob0', 'B0bO'],
    ];
    for (const [a, b] of pairs) {
      expect(nicknamesCollide(a, b)).toBe(true);
      expect(nicknamesCollide(b, a)).toBe(true);
    }
    expect(nicknamesCollide('Alice', 'Alise')).toBe(false);
    expect(checkNickname('  Zoë   the  2nd ')).toEqual({ ok: true, nickname: 'Zoë the 2nd' });
  });
});
