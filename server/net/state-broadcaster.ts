/** Sends each room's state to its channel at most `hz` times per second, coalescing changes. */
import type { Clock, TimerHandle } from '../game/clock.ts';
import type { Room } from '../game/room.ts';
import { type ArenaServer, roomChannel } from './types.ts';

export class StateBroadcaster {
  private readonly lastSent = new Map<string, number>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly intervalMs: number;

  constructor(
    private readonly io: ArenaServer,
    private readonly clock: Clock,
    hz: number,
  ) {
    this.intervalMs = 1000 / hz;
  }

  changed(room: Room): void {
    if (this.timers.has(room.code)) return;
    const since = this.clock.now() - (this.lastSent.get(room.code) ?? Number.NEGATIVE_INFINITY);
    if (since >= this.intervalMs) {
      this.send(room);
      return;
    }
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(room.code);
      if (!room.isClosed) this.send(room);
    }, this.intervalMs - since);
    this.timers.set(room.code, timer);
  }

  /** Sends now (e.g. right after a phase change that must not wait). */
  flush(room: Room): void {
    const t = this.timers.get(room.code);
    if (t) this.clock.clearTimeout(t);
    this.timers.delete(room.code);
    this.send(room);
  }

  forget(code: string): void {
    const t = this.timers.get(code);
    if (t) this.clock.clearTimeout(t);
    this.timers.delete(code);
    this.lastSent.delete(code);
  }

  close(): void {
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  private send(room: Room): void {
    this.lastSent.set(room.code, this.clock.now());
    this.io.to(roomChannel(room.code)).emit('room:state', room.snapshot());
  }
}
