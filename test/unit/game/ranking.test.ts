/**
 * What makes a game count for the ranked board, seen from the games the core records: solo
 * games, one-address games and games where the second address never scored are practice.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../server/game/clock.ts';
import type { GameRecord } from '../../../server/game/game-record.ts';
import { addressKey, isRankedGame, mayRegisterIdentity } from '../../../server/game/ranking.ts';
import { DEFAULT_TIMINGS, Room, type RoomListener } from '../../../server/game/room.ts';
import { DEFAULT_SCORING } from '../../../server/game/scoring.ts';
import { emotionId } from '../../../shared/emotions.ts';
import { CameraLikeStream, syntheticFace } from '../../helpers/camera-like.ts';

/** Plays a 3-round game; `players` are [token, nickname, address, plays?]; returns the stored record. */
function playGame(players: [string, string, string, boolean][]): GameRecord {
  const clock = createManualClock();
  let record: GameRecord | null = null;
  const listener: RoomListener = {
    changed() {},
    roundResults() {},
    gameFinished: (_r, _s, rec) => {
      record = rec;
    },
    memberRemoved() {},
    empty() {},
  };
  const room = new Room(
    'ABCDE',
    { rounds: 3, roundSeconds: 5, emotions: ['happy'] },
    { clock, random: () => 0.5, timings: DEFAULT_TIMINGS, scoring: DEFAULT_SCORING, newGameId: () => 'g', listener },
  );
  const members = players.map(([token, nick, address, plays], i) => {
    const j = room.join(`${token}-token-0123456789`, nick, 'player', address);
    if (!j.ok) throw new Error(j.message);
    return { id: j.value.member.id, plays, camera: new CameraLikeStream(syntheticFace(i + 1), { seed: i + 1 }) };
  });
  room.start(members[0]?.id as string);
  while (room.phase !== 'finalResults') {
    if (room.phase === 'round') {
      for (const m of members) {
        const t = room.acceptFrame(m.id, m.camera.next());
        const p = new Float32Array(7).fill(0.05);
        p[emotionId('happy')] = m.plays ? 0.7 : 0;
        if (t.ok) room.recordFrame(m.id, t.value, p);
      }
    }
    clock.advance(200);
  }
  return record as unknown as GameRecord;
}

describe('ranked games', () => {
  it('two players from two addresses who both score: ranked, with each address recorded as a one-way key', () => {
    const rec = playGame([
      ['ann', 'Ann', addressKey('198.51.100.7'), true],
      ['bob', 'Bob', addressKey('203.0.113.9'), true],
    ]);
    expect(rec.ranked).toBe(true);
    expect(rec.players.every((p) => p.score > 0)).toBe(true);
    expect(JSON.stringify(rec)).not.toContain('198.51.100.7');
  });

  it('a solo game, two browsers on one address, or a second address that never scores: practice', () => {
    expect(playGame([['ann', 'Ann', addressKey('198.51.100.7'), true]]).ranked).toBe(false);
    const home = addressKey('198.51.100.7');
    expect(
      playGame([
        ['ann', 'Ann', home, true],
        ['alt', 'Alt', home, true],
      ]).ranked,
    ).toBe(false);
    expect(
      playGame([
        ['ann', 'Ann', home, true],
        ['idle', 'Idle', addressKey('203.0.113.9'), false],
      ]).ranked,
    ).toBe(false);
  });

  it('short games never rank, whatever the addresses', () => {
    const players = [
      { addressKey: 'a', score: 900 },
      { addressKey: 'b', score: 800 },
    ];
    expect(isRankedGame(2, players)).toBe(false);
    expect(isRankedGame(3, players)).toBe(true);
  });

  it('an address registers at most 3 identities in any 24 h', () => {
    const hour = 3600_000;
    expect(mayRegisterIdentity([0, hour, 2 * hour], 3 * hour)).toBe(false);
    expect(mayRegisterIdentity([0, hour, 2 * hour], 24 * hour + 1)).toBe(true);
  });
});
