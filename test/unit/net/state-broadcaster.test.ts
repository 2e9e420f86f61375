import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../server/game/clock.ts';
import type { Room } from '../../../server/game/room.ts';
import { StateBroadcaster } from '../../../server/net/state-broadcaster.ts';
import type { ArenaServer } from '../../../server/net/types.ts';

describe('StateBroadcaster', () => {
  it('sends room state at most 10 times per second, and always the latest state', () => {
    const clock = createManualClock();
    const sent: number[] = [];
    const io = { to: () => ({ emit: (_e: string, s: { serverTime: number }) => sent.push(s.serverTime) }) };
    const room = { code: 'ABCDE', isClosed: false, snapshot: () => ({ serverTime: clock.now() }) };
    const b = new StateBroadcaster(io as unknown as ArenaServer, clock, 10);
    const t0 = clock.now();
    // 50 changes per second for 2 s (e.g. frame results from 10 players at 5 fps).
    for (let i = 0; i < 100; i++) {
      b.changed(room as unknown as Room);
      clock.advance(20);
    }
    clock.advance(200);
    expect(sent.length).toBeGreaterThanOrEqual(19);
    expect(sent.length).toBeLessThanOrEqual(21);
    for (let i = 1; i < sent.length; i++)
      expect((sent[i] as number) - (sent[i - 1] as number)).toBeGreaterThanOrEqual(100);
    // The last change (at t0 + 1980) is delivered, not lost.
    expect(sent.at(-1)).toBeGreaterThanOrEqual(t0 + 1980);
  });

  it('flush sends at once; nothing is sent for a closed room', () => {
    const clock = createManualClock();
    let count = 0;
    const io = { to: () => ({ emit: () => count++ }) };
    const room = { code: 'ABCDE', isClosed: false, snapshot: () => ({}) };
    const b = new StateBroadcaster(io as unknown as ArenaServer, clock, 10);
    b.changed(room as unknown as Room);
    b.flush(room as unknown as Room);
    expect(count).toBe(2);
    b.changed(room as unknown as Room);
    room.isClosed = true;
    clock.advance(1000);
    expect(count).toBe(2);
  });
});
