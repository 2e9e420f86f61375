/**
 * Where this browser sits, so a reload or a reopened tab returns to the seat: the room code in
 * the address bar (`/?room=CODE`, kept while in the room) and the seat in localStorage (the
 * room and role; the token that owns the seat is stored by player-token.ts). A page that opens
 * with `?room=CODE` and a remembered seat in that room rejoins it by itself; without one the
 * code is just a join link. Pure apart from the injected storage.
 */
import type { ErrorCode, PlayerRole } from '../../../shared/protocol.ts';
import { type KeyValueStore, safeGet, safeSet } from './player-token.ts';
import { isRoomCode } from './validation.ts';

export const SEAT_STORAGE_KEY = 'emotion-arena:seat';

export interface RememberedSeat {
  code: string;
  role: PlayerRole;
}

export function rememberSeat(store: KeyValueStore | null, seat: RememberedSeat): void {
  safeSet(store, SEAT_STORAGE_KEY, JSON.stringify(seat));
}

export function forgetSeat(store: KeyValueStore | null): void {
  safeSet(store, SEAT_STORAGE_KEY, '');
}

export function rememberedSeat(store: KeyValueStore | null): RememberedSeat | null {
  const raw = safeGet(store, SEAT_STORAGE_KEY);
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<RememberedSeat>;
    if (typeof v.code !== 'string' || !isRoomCode(v.code)) return null;
    if (v.role !== 'player' && v.role !== 'spectator') return null;
    return { code: v.code, role: v.role };
  } catch {
    return null;
  }
}

/** The seat to rejoin on page load: the link's room, when this browser sat in it. */
export function seatToRejoin(linkCode: string | null, seat: RememberedSeat | null): RememberedSeat | null {
  return linkCode !== null && seat !== null && seat.code === linkCode ? seat : null;
}

/** The page's URL with `room` set (or removed), other query flags (debug, fps…) kept. */
export function urlWithRoom(href: string, code: string | null): string {
  const url = new URL(href);
  if (code) url.searchParams.set('room', code);
  else url.searchParams.delete('room');
  return `${url.pathname}${url.search}${url.hash}`;
}

/** What the player reads when joining or rejoining fails: the reason, in their terms. */
/** (A room lost on a reconnect is explained by room-gone.ts.) */
export function joinFailureMessage(
  code: ErrorCode,
  serverMessage: string,
  room: string,
  how: 'join' | 'rejoin',
): string {
  switch (code) {
    case 'ROOM_NOT_FOUND':
      if (how === 'rejoin') return `Room ${room} has closed, so your seat is gone. Create a room or join another one.`;
      return `There is no room ${room}: check the code (it may have closed).`;
    case 'KICKED':
      return `You were removed from room ${room} and cannot rejoin it.`;
    case 'ROOM_FULL':
      return `Room ${room} is full.`;
    case 'UNAVAILABLE':
      return `Could not reach the server to ${how === 'join' ? 'join' : 'rejoin'} room ${room}. Check the connection and try again.`;
    default:
      return serverMessage;
  }
}
