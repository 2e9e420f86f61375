/**
 * Sends each room's state to its sockets at most `hz` times per second, coalescing changes.
 * Each broadcast is one snapshot, encoded once by the Socket.IO adapter for every socket it goes
 * to. Nothing is sent when nothing a client shows changed (only the clock moved on). Protocol 2
 * sockets get a room:patch when only players' live fields changed
 * — the meters of a running round, most broadcasts — and a whole room:state otherwise, and at
 * least every KEYFRAME_EVERY broadcasts, so a client that missed or could not apply a patch is
 * whole again within a second. Protocol 1 sockets get every broadcast as a whole room:state.
 *
 * Protocol 4 sockets take the same patches, but a patch waits for the socket's next frame:result
 * and rides on it (patchFor): a player sending frames gets one message per frame instead of about
 * two. Whoever has not had a patch when the next broadcast is due (no frame answered meanwhile: a
 * camera that stopped, a spectator) gets it on its own then, before anything newer, so a patch
 * is never later than one broadcast interval and the revisions still arrive in order.
 */
import type { RoomState, RoomStateFormat, RoomStatePatch } from '../../shared/protocol.ts';
import { roomStateChange } from '../../shared/room-patch.ts';
import type { Clock, TimerHandle } from '../game/clock.ts';
import type { Room } from '../game/room.ts';
import { type ArenaServer, roomChannel } from './types.ts';

/**
 * Every this many broadcasts, protocol 2 sockets get a whole state even when a patch would do:
 * once a second at STATE_BROADCAST_HZ.
 */
export const KEYFRAME_EVERY = 5;

interface Sent {
  state: RoomState;
  /** Patches sent since the last whole state. */
  patches: number;
}

/** A room's latest patch on its way to protocol 4 sockets in their frame results. */
export interface RidingPatch {
  readonly patch: RoomStatePatch;
  /** The patch as JSON: encoded once for every result it rides on (server/net/direct-result.ts). */
  readonly json: string;
}

interface Riding extends RidingPatch {
  /** Protocol 4 sockets that have not had it yet. */
  waiting: Set<string>;
  /** Sends it on its own to those still waiting, one broadcast interval after it was made. */
  timer: TimerHandle;
}

export class StateBroadcaster {
  private readonly lastSent = new Map<string, number>();
  private readonly riding = new Map<string, Riding>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly sent = new Map<string, Sent>();
  private readonly intervalMs: number;

  constructor(
    private readonly io: ArenaServer,
    private readonly clock: Clock,
    hz: number,
    /**
     * The room's member sockets that take a state format (Sessions.socketsTaking, from their
     * protocol version): patches to those that take them, whole states to the others, and nothing
     * is encoded for nobody. Socket ids rather than a channel per format, so a cluster gateway
     * keeps one channel per socket.
     */
    private readonly members: (code: string, format: RoomStateFormat) => string[],
    /** Protocol 4 patches delivered: on a frame result, or alone (for /metrics). */
    private readonly delivered: (way: 'result' | 'alone', sockets: number) => void = () => {},
  ) {
    this.intervalMs = 1000 / hz;
  }

  changed(room: Room): void {
    if (this.timers.has(room.code)) return;
    const since = this.clock.now() - (this.lastSent.get(room.code) ?? Number.NEGATIVE_INFINITY);
    if (since >= this.intervalMs) {
      this.send(room, false);
      return;
    }
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(room.code);
      if (!room.isClosed) this.send(room, false);
    }, this.intervalMs - since);
    this.timers.set(room.code, timer);
  }

  /** Sends a whole state now (joins, phase changes: they must not wait, and are rare). */
  flush(room: Room): void {
    const t = this.timers.get(room.code);
    if (t) this.clock.clearTimeout(t);
    this.timers.delete(room.code);
    this.send(room, true);
  }

  /**
   * The room's state for one socket that needs it on its own (a join answer, a recovered
   * connection): the last broadcast one, with its revision so that the patches after it apply,
   * and the clock of now (clients count the phase down from `serverTime`). When the room changed
   * since that broadcast, a whole state goes out to the room first, so this one is never stale.
   */
  current(room: Room): RoomState {
    const now = room.snapshot();
    const sent = this.sent.get(room.code)?.state;
    if (!sent || roomStateChange(sent, now).kind !== 'unchanged') {
      this.flush(room);
      return this.sent.get(room.code)?.state ?? now;
    }
    return {
      ...sent,
      serverTime: now.serverTime,
      round: sent.round && now.round ? { ...sent.round, timeLeftMs: now.round.timeLeftMs } : sent.round,
    };
  }

  /**
   * Protocol 4: the room's latest patch when `socketId` has not had it yet, to send with the
   * frame:result about to go to that socket; from now on it counts as had.
   */
  patchFor(code: string, socketId: string): RidingPatch | undefined {
    const r = this.riding.get(code);
    if (!r?.waiting.delete(socketId)) return undefined;
    this.delivered('result', 1);
    if (r.waiting.size === 0) this.dropRiding(code);
    return r;
  }

  forget(code: string): void {
    const t = this.timers.get(code);
    if (t) this.clock.clearTimeout(t);
    this.timers.delete(code);
    this.lastSent.delete(code);
    this.sent.delete(code);
    this.dropRiding(code);
  }

  close(): void {
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    for (const code of [...this.riding.keys()]) this.dropRiding(code);
  }

  /** The riding patch, on its own, to the sockets that have not had it (none once this returns). */
  private sendRiding(code: string): void {
    const r = this.riding.get(code);
    if (!r) return;
    this.dropRiding(code);
    if (r.waiting.size === 0) return;
    this.delivered('alone', r.waiting.size);
    this.io.to([...r.waiting]).emit('room:patch', r.patch);
  }

  private dropRiding(code: string): void {
    const r = this.riding.get(code);
    if (!r) return;
    this.clock.clearTimeout(r.timer);
    this.riding.delete(code);
  }

  private send(room: Room, whole: boolean): void {
    const now = this.clock.now();
    const next = room.snapshot();
    const prev = this.sent.get(room.code);
    const change = prev ? roomStateChange(prev.state, next) : ({ kind: 'whole' } as const);
    if (!whole && change.kind === 'unchanged') return;
    this.lastSent.set(room.code, now);
    // Revisions start at the clock's ms, so a room that reopens under the same code never goes back in revisions.
    const rev = prev ? (prev.state.rev as number) + 1 : now;
    const state: RoomState = { ...next, rev };
    const all = this.io.to(roomChannel(room.code));
    if (whole || change.kind !== 'patch' || (prev?.patches ?? 0) + 1 >= KEYFRAME_EVERY) {
      // The whole state supersedes a patch still riding: nobody needs it any more.
      this.dropRiding(room.code);
      all.emit('room:state', state);
      this.sent.set(room.code, { state, patches: 0 });
      return;
    }
    // Before the new patch, whose base is the one still riding.
    this.sendRiding(room.code);
    const patch: RoomStatePatch = { ...change.patch, base: prev?.state.rev as number, rev };
    const patched = this.members(room.code, 'patches');
    if (patched.length > 0) this.io.to(patched).emit('room:patch', patch);
    const classic = this.members(room.code, 'whole');
    if (classic.length > 0) this.io.to(classic).emit('room:state', state);
    const riders = this.members(room.code, 'patches-in-results');
    if (riders.length > 0) {
      const code = room.code;
      this.riding.set(code, {
        patch,
        json: JSON.stringify(patch),
        waiting: new Set(riders),
        timer: this.clock.setTimeout(() => this.sendRiding(code), this.intervalMs),
      });
    }
    this.sent.set(room.code, { state, patches: (prev?.patches ?? 0) + 1 });
  }
}
