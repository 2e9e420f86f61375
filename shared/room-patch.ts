/**
 * Room state patches (protocol 2, RoomStatePatch): the server computes them, the browser applies
 * them, with these two pure functions, so both sides agree on what a patch means.
 */
import { PATCHABLE_PLAYER_FIELDS, type PlayerView, type RoomState, type RoomStatePatch } from './protocol.ts';

/** The moment the current phase ends by the server's clock, or null without a running phase clock. */
function deadline(s: RoomState): number | null {
  return s.round ? s.serverTime + s.round.timeLeftMs : null;
}

/** Deadlines closer than this are the same deadline (timeLeftMs is computed from a ms clock). */
const DEADLINE_SLACK_MS = 5;

function sameShape(a: RoomState, b: RoomState): boolean {
  if (a.code !== b.code || a.phase !== b.phase || a.hostId !== b.hostId) return false;
  if (a.players.length !== b.players.length) return false;
  if ((a.round === null) !== (b.round === null)) return false;
  if (a.round && b.round) {
    if (a.round.index !== b.round.index || a.round.total !== b.round.total || a.round.prompt !== b.round.prompt) {
      return false;
    }
  }
  const sa = a.settings;
  const sb = b.settings;
  if (sa.rounds !== sb.rounds || sa.roundSeconds !== sb.roundSeconds || sa.emotions.join() !== sb.emotions.join()) {
    return false;
  }
  for (let i = 0; i < a.players.length; i++) {
    const pa = a.players[i] as PlayerView;
    const pb = b.players[i] as PlayerView;
    if (pa.id !== pb.id || pa.nickname !== pb.nickname || pa.role !== pb.role) return false;
  }
  return true;
}

export type RoomStateChange =
  /** Nothing a client shows changed (only the clock moved on): nothing needs sending. */
  | { kind: 'unchanged' }
  /** Players' live fields or the deadline changed: this patch (without base/rev) says how. */
  | { kind: 'patch'; patch: Omit<RoomStatePatch, 'base' | 'rev'> }
  /** Anything else: only a whole state says it. */
  | { kind: 'whole' };

/** How `next` differs from `prev`, the last state sent. */
export function roomStateChange(prev: RoomState, next: RoomState): RoomStateChange {
  if (!sameShape(prev, next)) return { kind: 'whole' };
  const players: RoomStatePatch['players'] = [];
  for (let i = 0; i < next.players.length; i++) {
    const pa = prev.players[i] as PlayerView;
    const pb = next.players[i] as PlayerView;
    let changes: Partial<Pick<PlayerView, (typeof PATCHABLE_PLAYER_FIELDS)[number]>> | null = null;
    for (const f of PATCHABLE_PLAYER_FIELDS) {
      if (pa[f] !== pb[f]) {
        changes ??= {};
        (changes as Record<string, unknown>)[f] = pb[f];
      }
    }
    if (changes) players.push([i, changes]);
  }
  const dPrev = deadline(prev);
  const dNext = deadline(next);
  const sameDeadline =
    dPrev === dNext || (dPrev !== null && dNext !== null && Math.abs(dPrev - dNext) <= DEADLINE_SLACK_MS);
  if (players.length === 0 && sameDeadline) return { kind: 'unchanged' };
  return {
    kind: 'patch',
    patch: {
      code: next.code,
      serverTime: next.serverTime,
      ...(next.round ? { timeLeftMs: next.round.timeLeftMs } : {}),
      players,
    },
  };
}

/**
 * `state` with `patch` applied, or null when it does not apply (another room, another base
 * revision, a player index out of range): the client then keeps its state until the next whole one.
 */
export function applyRoomPatch(state: RoomState | null, patch: RoomStatePatch): RoomState | null {
  if (!state || state.code !== patch.code || state.rev !== patch.base) return null;
  const players = state.players.slice();
  for (const [index, changes] of patch.players) {
    const p = players[index];
    if (!p) return null;
    players[index] = { ...p, ...changes };
  }
  return {
    ...state,
    players,
    round:
      state.round && patch.timeLeftMs !== undefined ? { ...state.round, timeLeftMs: patch.timeLeftMs } : state.round,
    serverTime: patch.serverTime,
    rev: patch.rev,
  };
}
