/**
 * Room state patches as both sides read them (shared/room-patch.ts) and the browser's room state
 * (client/src/net/room-state-sync.ts): a patch applies only where it belongs, and nothing a
 * late or replayed message carries takes the state backwards.
 */
import { describe, expect, it } from 'vitest';
import { RoomStateSync } from '../../../client/src/net/room-state-sync.ts';
import type { RoomState, RoomStatePatch } from '../../../shared/protocol.ts';
import { applyRoomPatch, roomStateChange } from '../../../shared/room-patch.ts';

const state = (rev: number, meter = 0): RoomState => ({
  code: 'ABCDE',
  phase: 'round',
  hostId: 'a',
  settings: { rounds: 3, roundSeconds: 10, emotions: ['happy'] },
  players: [
    { id: 'a', nickname: 'Ann', role: 'player', isHost: true, connected: true, score: 0, meter, waiting: false },
    { id: 'b', nickname: 'Bob', role: 'player', isHost: false, connected: true, score: 0, meter: 0, waiting: false },
  ],
  round: { index: 0, total: 3, prompt: 'happy', timeLeftMs: 5000 },
  serverTime: 1000,
  rev,
});

const patch = (base: number, changes: RoomStatePatch['players'], code = 'ABCDE'): RoomStatePatch => ({
  code,
  base,
  rev: base + 1,
  serverTime: 1100,
  timeLeftMs: 4900,
  players: changes,
});

describe('room state patches', () => {
  it('a patch changes the listed fields, the clock and the revision, and nothing else', () => {
    const next = applyRoomPatch(state(5), patch(5, [[1, { meter: 0.4, score: 10 }]]));
    expect(next).toEqual({
      ...state(6),
      serverTime: 1100,
      round: { index: 0, total: 3, prompt: 'happy', timeLeftMs: 4900 },
      players: [state(5).players[0], { ...state(5).players[1], meter: 0.4, score: 10 }],
    });
  });

  it('does not apply on another revision, another room, a missing player, or no state', () => {
    expect(applyRoomPatch(state(5), patch(4, []))).toBeNull();
    expect(applyRoomPatch(state(5), patch(5, [], 'ZZZZZ'))).toBeNull();
    expect(applyRoomPatch(state(5), patch(5, [[2, { meter: 1 }]]))).toBeNull();
    expect(applyRoomPatch(null, patch(5, []))).toBeNull();
  });

  it('the server diff and the client apply agree', () => {
    const prev = state(5);
    const next = {
      ...state(5, 0.7),
      serverTime: 1300,
      round: { index: 0, total: 3, prompt: 'happy' as const, timeLeftMs: 4700 },
    };
    const change = roomStateChange(prev, next);
    if (change.kind !== 'patch') throw new Error(`expected a patch, got ${change.kind}`);
    expect(applyRoomPatch(prev, { ...change.patch, base: 5, rev: 6 })).toEqual({ ...next, rev: 6 });
    // Only the clock moved on (the same deadline): nothing to send.
    expect(
      roomStateChange(prev, {
        ...prev,
        serverTime: 1300,
        round: { ...(prev.round as NonNullable<RoomState['round']>), timeLeftMs: 4700 },
      }),
    ).toEqual({
      kind: 'unchanged',
    });
    // A renamed or new player, a phase change: only a whole state says it.
    expect(roomStateChange(prev, { ...prev, phase: 'roundResults' }).kind).toBe('whole');
    expect(roomStateChange(prev, { ...prev, players: prev.players.slice(0, 1) }).kind).toBe('whole');
  });
});

describe('the browser room state', () => {
  it('ignores a whole state older than the one it has (replayed after a reconnect), and patches that do not fit', () => {
    const sync = new RoomStateSync();
    expect(sync.whole(state(10))).not.toBeNull();
    expect(sync.whole(state(8))).toBeNull();
    expect(sync.current?.rev).toBe(10);
    expect(sync.patch(patch(9, [[0, { meter: 0.9 }]]))).toBeNull();
    expect(sync.patch(patch(10, [[0, { meter: 0.9 }]]))?.players[0]?.meter).toBe(0.9);
    // A state without a revision (e.g. a server that does not number them) is always taken.
    expect(sync.whole({ ...state(0), rev: undefined })).not.toBeNull();
    sync.reset();
    expect(sync.current).toBeNull();
  });
});
