import { describe, expect, it } from 'vitest';
import { checkNickname, nicknamesCollide } from '../../../server/game/nickname.ts';
import { publicIdFromToken } from '../../../server/game/player-id.ts';
import { generateRoomCode, normalizeRoomCode } from '../../../server/game/room-code.ts';
import { createValidators } from '../../../server/game/validators.ts';
import { ROOM_CODE_ALPHABET } from '../../../shared/protocol.ts';

const TOKEN = 'abcdefghijklmnop1234';

describe('room codes', () => {
  it('are 5 characters of the unambiguous alphabet', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateRoomCode();
      expect(code).toMatch(new RegExp(`^[${ROOM_CODE_ALPHABET}]{5}$`));
    }
  });
  it('normalise what players type and reject look-alike characters', () => {
    expect(normalizeRoomCode(' abcde ')).toBe('ABCDE');
    expect(normalizeRoomCode('ABCD0')).toBeNull(); // 0 is not in the alphabet
    expect(normalizeRoomCode('ABCD')).toBeNull();
    expect(normalizeRoomCode(12345)).toBeNull();
    expect(normalizeRoomCode('A'.repeat(1000))).toBeNull();
  });
});

describe('nicknames', () => {
  it('accept letters of any script, digits and a few separators', () => {
    expect(checkNickname('  Zoë  the_3rd ')).toEqual({ ok: true, nickname: 'Zoë the_3rd' });
    expect(checkNickname('李雷').ok).toBe(true);
  });
  it('reject bad length, characters and types', () => {
    expect(checkNickname('a').ok).toBe(false);
    expect(checkNickname('x'.repeat(17)).ok).toBe(false);
    expect(checkNickname('<script>').ok).toBe(false);
    expect(checkNickname('bob\u0000').ok).toBe(false);
    expect(checkNickname(42).ok).toBe(false);
    expect(checkNickname(null).ok).toBe(false);
  });
  it('detect impersonation by case, separators and look-alikes', () => {
    expect(nicknamesCollide('Alice', 'alice')).toBe(true);
    expect(nicknamesCollide('Alice', 'A_l.i c-e')).toBe(true);
    expect(nicknamesCollide('Alice', 'AL1CE')).toBe(true);
    expect(nicknamesCollide('Alice', '\u0410lice')).toBe(true); // Cyrillic A
    expect(nicknamesCollide('Zoe', 'Zoë')).toBe(true);
    expect(nicknamesCollide('Alice', 'Alicia')).toBe(false);
  });
});

describe('request validators', () => {
  const v = createValidators();
  it('accept well-formed requests', () => {
    expect(v.createRoom({ nickname: 'Ann', playerToken: TOKEN }).ok).toBe(true);
    expect(v.createRoom({ nickname: 'Ann', playerToken: TOKEN, settings: { rounds: 3 }, role: 'spectator' }).ok).toBe(
      true,
    );
    expect(v.joinRoom({ code: 'ABCDE', nickname: 'Ann', playerToken: TOKEN }).ok).toBe(true);
    expect(v.leaderboard({ period: 'week', limit: 10 }).ok).toBe(true);
    expect(v.settingsPatch({ emotions: ['happy', 'sad'] }).ok).toBe(true);
  });
  it('reject wrong types, sizes and unknown fields with a message', () => {
    const bad = [
      v.createRoom(null),
      v.createRoom({ nickname: 'Ann', playerToken: 'short' }),
      v.createRoom({ nickname: 'Ann', playerToken: TOKEN, settings: { rounds: 0 } }),
      v.createRoom({ nickname: 'x'.repeat(10_000), playerToken: TOKEN }),
      v.joinRoom({ code: 5, nickname: 'Ann', playerToken: TOKEN }),
      v.settingsPatch({ emotions: [] }),
      v.settingsPatch({ emotions: ['happy', 'happy'] }),
      v.settingsPatch({ emotions: ['joy'] }),
      v.settingsPatch({ roundSeconds: 2.5 }),
      v.settingsPatch({ admin: true }),
      v.leaderboard({ period: 'year' }),
      v.leaderboard({ period: 'all', limit: 1000 }),
      v.frameSeq(-1),
      v.frameSeq('1'),
    ];
    for (const r of bad) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
    }
  });
  it('take injectable settings limits', () => {
    const short = createValidators({ rounds: { min: 1, max: 5 }, roundSeconds: { min: 1, max: 10 } });
    expect(short.settingsPatch({ roundSeconds: 2 }).ok).toBe(true);
    expect(v.settingsPatch({ roundSeconds: 2 }).ok).toBe(false);
  });
});

describe('public player ids', () => {
  it('are stable, short and do not contain the token', () => {
    const id = publicIdFromToken(TOKEN);
    expect(id).toBe(publicIdFromToken(TOKEN));
    expect(id).toHaveLength(12);
    expect(id).not.toContain(TOKEN.slice(0, 6));
    expect(publicIdFromToken(`${TOKEN}x`)).not.toBe(id);
  });
});
