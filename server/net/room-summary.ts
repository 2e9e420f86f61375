/** What GET /api/rooms/:code tells about a room (does a join link work, and is a game on?). */
import type { Phase } from '../../shared/protocol.ts';
import type { Room } from '../game/room.ts';

export interface RoomSummary {
  code: string;
  phase: Phase;
  players: number;
  spectators: number;
}

export function summarizeRoom(room: Room): RoomSummary {
  const s = room.snapshot();
  return {
    code: s.code,
    phase: s.phase,
    players: s.players.filter((p) => p.role === 'player').length,
    spectators: s.players.filter((p) => p.role === 'spectator').length,
  };
}

/** A look-up of a room another node may run (cluster mode, server/cluster/cluster-node.ts). */
export type RoomLookup =
  | { kind: 'room'; room: RoomSummary }
  /** No room has that code (anywhere). */
  | { kind: 'none' }
  /** The address has used up its room-code misses (counted over the cluster). */
  | { kind: 'blocked' };
