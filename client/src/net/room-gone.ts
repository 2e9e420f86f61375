/**
 * What to tell a player whose room is gone when the client rejoins after a reconnect. Within
 * the reconnect grace a room cannot close under a disconnected member, so a missing room then
 * means the server restarted (SERVER_RESTARTING announced it, or it was killed); finished games
 * were stored before, so the player is told they are safe rather than shown a bare not-found.
 */
import { ERROR_CODES, type ProtocolError } from '../../../shared/protocol.ts';

export const SERVER_RESTARTED_MESSAGE =
  'The server restarted; your finished games are saved. Create or join a new room to play on.';
export const ROOM_CLOSED_MESSAGE = 'Your room closed while you were away. Create or join a new room to play on.';

export function rejoinFailure(
  error: ProtocolError,
  seen: { restartAnnounced: boolean; awayMs: number; graceMs: number },
): ProtocolError {
  if (error.code !== ERROR_CODES.ROOM_NOT_FOUND) return error;
  const restarted = seen.restartAnnounced || seen.awayMs < seen.graceMs;
  return { code: error.code, message: restarted ? SERVER_RESTARTED_MESSAGE : ROOM_CLOSED_MESSAGE };
}
