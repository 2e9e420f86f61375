/** A reload or reopened tab returns to the seat (seat-memory.ts): what is remembered, when it rejoins, what a player reads when it cannot. */
import { describe, expect, it } from 'vitest';
import {
  forgetSeat,
  joinFailureMessage,
  rememberedSeat,
  rememberSeat,
  SEAT_STORAGE_KEY,
  seatToRejoin,
  urlWithRoom,
} from '../../../client/src/net/seat-memory.ts';

class MemoryStore {
  readonly data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

describe('seat memory', () => {
  it('remembers the room and role, and forgets them on leaving', () => {
    const store = new MemoryStore();
    rememberSeat(store, { code: 'ABC23', role: 'spectator' });
    expect(rememberedSeat(store)).toEqual({ code: 'ABC23', role: 'spectator' });
    forgetSeat(store);
    expect(rememberedSeat(store)).toBeNull();
  });

  it('ignores a damaged or foreign entry', () => {
    const store = new MemoryStore();
    for (const bad of ['{', '{"code":"abc","role":"player"}', '{"code":"ABC23","role":"host"}', '[]', 'null']) {
      store.setItem(SEAT_STORAGE_KEY, bad);
      expect(rememberedSeat(store)).toBeNull();
    }
    expect(rememberedSeat(null)).toBeNull();
  });

  it('rejoins only the room of the address, when this browser sat in it', () => {
    const seat = { code: 'ABC23', role: 'player' as const };
    expect(seatToRejoin('ABC23', seat)).toEqual(seat);
    // A join link to another room is just a join link.
    expect(seatToRejoin('XYZ45', seat)).toBeNull();
    expect(seatToRejoin(null, seat)).toBeNull();
    expect(seatToRejoin('ABC23', null)).toBeNull();
  });

  it('puts the room in the address and takes it out, keeping other flags', () => {
    expect(urlWithRoom('http://h:3000/', 'ABC23')).toBe('/?room=ABC23');
    expect(urlWithRoom('http://h:3000/?debug=1&fps=3', 'ABC23')).toBe('/?debug=1&fps=3&room=ABC23');
    expect(urlWithRoom('http://h:3000/?room=ABC23&debug=1', null)).toBe('/?debug=1');
  });

  it('explains a failed rejoin in the player’s terms, never the raw server text for a missing room', () => {
    const raw = 'no room with code ABC23';
    expect(joinFailureMessage('ROOM_NOT_FOUND', raw, 'ABC23', 'rejoin')).toBe(
      'Room ABC23 has closed, so your seat is gone. Create a room or join another one.',
    );
    expect(joinFailureMessage('ROOM_NOT_FOUND', raw, 'ABC23', 'join')).not.toContain(raw);
    expect(joinFailureMessage('KICKED', 'x', 'ABC23', 'rejoin')).toMatch(/removed/);
  });
});
