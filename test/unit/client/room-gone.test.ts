import { describe, expect, it } from 'vitest';
import { ROOM_CLOSED_MESSAGE, rejoinFailure, SERVER_RESTARTED_MESSAGE } from '../../../client/src/net/room-gone.ts';

const notFound = { code: 'ROOM_NOT_FOUND' as const, message: 'no room with code "ABCDE"' };

describe('rejoinFailure', () => {
  it('explains a room gone within the reconnect grace as a restart', () => {
    expect(rejoinFailure(notFound, { restartAnnounced: false, awayMs: 5_000, graceMs: 60_000 }).message).toBe(
      SERVER_RESTARTED_MESSAGE,
    );
    expect(rejoinFailure(notFound, { restartAnnounced: true, awayMs: 90_000, graceMs: 60_000 }).message).toBe(
      SERVER_RESTARTED_MESSAGE,
    );
  });
  it('says the room closed when the player was away longer than the grace', () => {
    expect(rejoinFailure(notFound, { restartAnnounced: false, awayMs: 90_000, graceMs: 60_000 }).message).toBe(
      ROOM_CLOSED_MESSAGE,
    );
  });
  it('passes other errors through', () => {
    const full = { code: 'ROOM_FULL' as const, message: 'room is full' };
    expect(rejoinFailure(full, { restartAnnounced: true, awayMs: 0, graceMs: 60_000 })).toBe(full);
  });
});
