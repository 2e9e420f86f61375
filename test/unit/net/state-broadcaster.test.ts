/**
 * Room state broadcasts (server/net/state-broadcaster.ts): at most `hz` a second per room, one
 * encoding for all sockets, nothing when nothing changed, patches for protocol 2 sockets with a
 * whole state every KEYFRAME_EVERY broadcasts — and clients that join late, reconnect or miss a
 * patch still end up with the room's state.
 */
import { describe, expect, it } from 'vitest';
import { RoomStateSync } from '../../../client/src/net/room-state-sync.ts';
import { createManualClock, type ManualClock } from '../../../server/game/clock.ts';
import type { Room } from '../../../server/game/room.ts';
import { KEYFRAME_EVERY, StateBroadcaster } from '../../../server/net/state-broadcaster.ts';
import { type ArenaServer, roomChannel } from '../../../server/net/types.ts';
import type { PlayerView, RoomState, RoomStateFormat, RoomStatePatch } from '../../../shared/protocol.ts';

interface Sent {
  /** The room's channel (everyone), or 'v1' / 'v2': the member sockets of that protocol. */
  to: string;
  event: 'room:state' | 'room:patch';
  payload: RoomState | RoomStatePatch;
}

/**
 * The room has one member socket of each state format (Sessions.socketsTaking): 'v1' takes whole
 * states, 'v2' patches (as protocol 1 and protocols 2–3 do); 'v4' patches riding on its frame
 * results, in the tests that say so.
 */
const VERSION_OF: Record<RoomStateFormat, 1 | 2 | 4> = { whole: 1, patches: 2, 'patches-in-results': 4 };
const versionOf = (format: RoomStateFormat) => VERSION_OF[format];
const members = (_code: string, format: RoomStateFormat) =>
  format === 'patches-in-results' ? [] : [`v${versionOf(format)}`];

function fakeIo() {
  const sent: Sent[] = [];
  const io = {
    to: (target: string | string[]) => ({
      emit: (event: Sent['event'], payload: Sent['payload']) => {
        // The adapter encodes once per emit: the payload object is what every socket targeted gets.
        sent.push({
          to: Array.isArray(target) ? target.join() : target,
          event,
          payload: JSON.parse(JSON.stringify(payload)),
        });
        return true;
      },
    }),
  };
  return { io: io as unknown as ArenaServer, sent };
}

/** A room whose state the test changes by hand; snapshot() as Room makes it. */
function fakeRoom(clock: ManualClock, players = 4) {
  const deadline = clock.now() + 10_000;
  const state = {
    isClosed: false,
    players: Array.from(
      { length: players },
      (_, i): PlayerView => ({
        id: `p${i}`,
        nickname: `Player ${i}`,
        role: 'player',
        isHost: i === 0,
        connected: true,
        score: 0,
        meter: 0,
        waiting: false,
      }),
    ),
    phase: 'round' as RoomState['phase'],
  };
  const room = {
    code: 'ABCDE',
    get isClosed() {
      return state.isClosed;
    },
    snapshot: (): RoomState => ({
      code: 'ABCDE',
      phase: state.phase,
      hostId: 'p0',
      settings: { rounds: 3, roundSeconds: 10, emotions: ['happy', 'sad'] },
      players: state.players.map((p) => ({ ...p })),
      round: { index: 0, total: 3, prompt: 'happy', timeLeftMs: Math.max(0, deadline - clock.now()) },
      serverTime: clock.now(),
    }),
  };
  return { room: room as unknown as Room, state };
}

/** What a client shows, minus the clock (which moves on by itself). */
const shown = (s: RoomState | null) =>
  s && { ...s, serverTime: 0, rev: 0, round: s.round && { ...s.round, timeLeftMs: 0 } };

/** A client of any protocol fed with what its channels carry (`id`: its socket id, default `v<protocol>`). */
function client(protocol: 1 | 2 | 4, id = `v${protocol}`) {
  const sync = new RoomStateSync();
  return {
    sync,
    protocol,
    receive(m: Sent) {
      if (m.to !== roomChannel('ABCDE') && !m.to.split(',').includes(id)) return;
      if (m.event === 'room:state') sync.whole(m.payload as RoomState);
      else sync.patch(m.payload as RoomStatePatch);
    },
  };
}

describe('StateBroadcaster', () => {
  it('sends room state at most 10 times per second, and always the latest state', () => {
    const clock = createManualClock();
    const { io, sent } = fakeIo();
    const { room, state } = fakeRoom(clock);
    const b = new StateBroadcaster(io, clock, 10, members);
    const t0 = clock.now();
    // 50 changes per second for 2 s (e.g. frame results from 10 players at 5 fps).
    for (let i = 0; i < 100; i++) {
      (state.players[i % 4] as PlayerView).meter = i / 100;
      b.changed(room);
      clock.advance(20);
    }
    clock.advance(200);
    const times = sent.filter((m) => m.to !== 'v2').map((m) => m.payload.serverTime);
    expect(times.length).toBeGreaterThanOrEqual(19);
    expect(times.length).toBeLessThanOrEqual(21);
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(100);
    // The last change (at t0 + 1980) is delivered, not lost.
    expect(times.at(-1)).toBeGreaterThanOrEqual(t0 + 1980);
    expect((sent.at(-1) as Sent).payload).toMatchObject({ players: [{}, {}, {}, { meter: 0.99 }] });
  });

  it('flush sends a whole state at once; nothing is sent for a closed room', () => {
    const clock = createManualClock();
    const { io, sent } = fakeIo();
    const { room, state } = fakeRoom(clock);
    const b = new StateBroadcaster(io, clock, 10, members);
    b.changed(room);
    (state.players[0] as PlayerView).meter = 0.5;
    b.flush(room);
    expect(sent.map((m) => m.event)).toEqual(['room:state', 'room:state']);
    expect(sent.every((m) => m.to === roomChannel('ABCDE'))).toBe(true);
    (state.players[0] as PlayerView).meter = 0.6;
    b.changed(room);
    state.isClosed = true;
    clock.advance(1000);
    expect(sent).toHaveLength(2);
  });

  it('sends nothing when only the clock moved on', () => {
    const clock = createManualClock();
    const { io, sent } = fakeIo();
    const { room, state } = fakeRoom(clock);
    const b = new StateBroadcaster(io, clock, 10, members);
    b.changed(room);
    for (let i = 0; i < 20; i++) {
      clock.advance(150);
      b.changed(room); // e.g. a frame that left every meter where it was
    }
    expect(sent).toHaveLength(1);
    (state.players[2] as PlayerView).score = 40;
    b.changed(room);
    clock.advance(150);
    expect(sent).toHaveLength(3); // the patch, and the whole state for protocol 1 sockets
  });

  it('protocol 2 sockets get patches of the changed fields, and a whole state every KEYFRAME_EVERY broadcasts', () => {
    const clock = createManualClock();
    const { io, sent } = fakeIo();
    const { room, state } = fakeRoom(clock);
    const b = new StateBroadcaster(io, clock, 10, members);
    b.flush(room);
    for (let i = 1; i <= 2 * KEYFRAME_EVERY; i++) {
      (state.players[1] as PlayerView).meter = i / 100;
      b.changed(room);
      clock.advance(100);
    }
    const toPatchSockets = sent.filter((m) => m.to !== 'v1');
    const kinds = toPatchSockets.map((m) => (m.event === 'room:patch' ? 'p' : 'S')).join('');
    expect(kinds).toBe(`S${'p'.repeat(KEYFRAME_EVERY - 1)}S${'p'.repeat(KEYFRAME_EVERY - 1)}S`);
    const patch = toPatchSockets[1]?.payload as RoomStatePatch;
    expect(patch.players).toEqual([[1, { meter: 0.01 }]]);
    expect(patch.base + 1).toBe(patch.rev);
    // Protocol 1 sockets get every broadcast whole.
    const toOthers = sent.filter((m) => m.to !== 'v2');
    expect(toOthers.every((m) => m.event === 'room:state')).toBe(true);
    expect(toOthers).toHaveLength(2 * KEYFRAME_EVERY + 1);
  });

  it('a player joining, leaving or a phase change goes out whole, to everyone', () => {
    const clock = createManualClock();
    const { io, sent } = fakeIo();
    const { room, state } = fakeRoom(clock);
    const b = new StateBroadcaster(io, clock, 10, members);
    b.flush(room);
    clock.advance(100);
    state.players.pop();
    b.changed(room);
    clock.advance(100);
    state.phase = 'roundResults';
    b.changed(room);
    expect(sent.map((m) => `${m.event} to ${m.to}`)).toEqual(Array(3).fill(`room:state to ${roomChannel('ABCDE')}`));
  });

  it('clients that join late, reconnect, or miss a patch end up with the room state', () => {
    const clock = createManualClock();
    const { io, sent } = fakeIo();
    const { room, state } = fakeRoom(clock, 6);
    const b = new StateBroadcaster(io, clock, 10, members);
    const early = client(2);
    const classic = client(1);
    const late = client(2);
    const lossy = client(2);
    const rejoining = client(2);
    let delivered = 0;
    let losing = true;
    const deliver = () => {
      for (; delivered < sent.length; delivered++) {
        const m = sent[delivered] as Sent;
        for (const c of [early, classic, late, rejoining]) c.receive(m);
        // This one loses every 7th message (a patch it cannot apply, or a whole state it never saw).
        if (!losing || delivered % 7 !== 3) lossy.receive(m);
      }
    };
    b.flush(room);
    for (const c of [early, classic, lossy, rejoining]) c.sync.whole(b.current(room));
    deliver();
    for (let i = 1; i <= 60; i++) {
      (state.players[i % 6] as PlayerView).meter = (i % 17) / 17;
      if (i % 13 === 0) (state.players[i % 6] as PlayerView).score += 100;
      b.changed(room);
      clock.advance(50);
      if (i === 25) late.sync.whole(b.current(room)); // the join answer, mid-round
      if (i === 30) rejoining.sync.reset(); // disconnected: misses what follows…
      if (i === 30) delivered = sent.length; // …nobody else misses it (delivered to the others below)
      if (i === 34) rejoining.sync.whole(b.current(room)); // …and rejoins
      deliver();
    }
    // Once messages stop getting lost, within a keyframe interval everyone shows what the room shows.
    losing = false;
    clock.advance(100 * KEYFRAME_EVERY);
    (state.players[0] as PlayerView).meter = 0.123;
    for (let i = 0; i < KEYFRAME_EVERY; i++) {
      b.changed(room);
      clock.advance(100);
      (state.players[(i % 5) + 1] as PlayerView).meter = i / 10;
    }
    b.changed(room);
    clock.advance(100);
    deliver();
    const truth = shown(room.snapshot());
    for (const c of [early, classic, late, lossy, rejoining]) expect(shown(c.sync.current)).toEqual(truth);
  });

  it('encodes nothing for a protocol nobody in the room speaks', () => {
    for (const only of [1, 2, 4] as const) {
      const clock = createManualClock();
      const { io, sent } = fakeIo();
      const { room, state } = fakeRoom(clock);
      const b = new StateBroadcaster(io, clock, 10, (_code, f) => (versionOf(f) === only ? [`v${only}`] : []));
      b.flush(room);
      // Fewer than a keyframe interval: patches for protocol 2.
      for (let i = 1; i < KEYFRAME_EVERY; i++) {
        (state.players[0] as PlayerView).meter = i / 10;
        b.changed(room);
        clock.advance(100);
      }
      clock.advance(100); // protocol 4: the last patch's wait for a frame result to ride on
      const after = sent.slice(1);
      expect(after).toHaveLength(KEYFRAME_EVERY - 1);
      // Protocol 4: with no frame result to ride on, each patch goes on its own.
      expect(after.every((m) => m.event === (only === 1 ? 'room:state' : 'room:patch'))).toBe(true);
    }
  });

  describe('protocol 4: patches ride on frame results', () => {
    const withRiders =
      (...riders: string[]) =>
      (_code: string, format: RoomStateFormat) =>
        format === 'patches-in-results' ? riders : [`v${versionOf(format)}`];

    it('a patch rides on the next result of each rider once, and goes on its own to the others before the next one', () => {
      const clock = createManualClock();
      const { io, sent } = fakeIo();
      const { room, state } = fakeRoom(clock);
      const b = new StateBroadcaster(io, clock, 10, withRiders('a', 'b'));
      b.flush(room);
      clock.advance(100);
      (state.players[1] as PlayerView).meter = 0.25;
      b.changed(room);
      const first = sent.at(-2)?.payload as RoomStatePatch;
      expect(sent.map((m) => `${m.event} to ${m.to}`)).toEqual([
        `room:state to ${roomChannel('ABCDE')}`,
        'room:patch to v2',
        'room:state to v1',
      ]);
      // 'a' sends a frame: its answer carries the patch, the same one protocol 2 got, as JSON.
      const riding = b.patchFor('ABCDE', 'a');
      expect(riding?.patch).toEqual(first);
      expect(JSON.parse(riding?.json ?? 'null')).toEqual(first);
      expect(b.patchFor('ABCDE', 'a')).toBeUndefined(); // its next answer: nothing new
      expect(b.patchFor('ABCDE', 'nobody')).toBeUndefined();
      expect(b.patchFor('OTHER', 'b')).toBeUndefined();
      // 'b' answers no frame; when the next broadcast is due, it gets the first patch on its own, before the second.
      clock.advance(99);
      (state.players[2] as PlayerView).meter = 0.5;
      const before = sent.length;
      b.changed(room);
      expect(sent).toHaveLength(before);
      clock.advance(1);
      const next = sent.slice(before);
      expect(next.map((m) => `${m.event} to ${m.to}`)).toEqual([
        'room:patch to b',
        'room:patch to v2',
        'room:state to v1',
      ]);
      expect(next[0]?.payload).toEqual(first);
      const second = next[1]?.payload as RoomStatePatch;
      expect(second.base).toBe(first.rev);
      // Nothing changes any more and nobody sends frames: one interval later, both get it on their own.
      clock.advance(99);
      expect(sent).toHaveLength(before + 3);
      clock.advance(1);
      expect(sent.slice(before + 3).map((m) => `${m.event} to ${m.to}`)).toEqual(['room:patch to a,b']);
      expect(sent.at(-1)?.payload).toEqual(second);
      expect(b.patchFor('ABCDE', 'a')).toBeUndefined();
      clock.advance(1000);
      expect(sent).toHaveLength(before + 4);
    });

    it('a patch every rider took is not sent again, and a whole state replaces the one riding', () => {
      const clock = createManualClock();
      const { io, sent } = fakeIo();
      const { room, state } = fakeRoom(clock);
      const b = new StateBroadcaster(io, clock, 10, withRiders('a'));
      b.flush(room);
      for (let i = 1; i < KEYFRAME_EVERY; i++) {
        clock.advance(100);
        (state.players[0] as PlayerView).meter = i / 10;
        b.changed(room);
        expect(b.patchFor('ABCDE', 'a')?.patch.players).toEqual([[0, { meter: i / 10 }]]);
      }
      expect(sent.filter((m) => m.to.includes('a'))).toEqual([]);
      // The keyframe goes to everyone; a patch not yet taken (here by a rider that stopped) is dropped.
      b.flush(room);
      clock.advance(100);
      (state.players[0] as PlayerView).meter = 0.9;
      b.changed(room);
      expect(sent.at(-2)).toMatchObject({ event: 'room:patch', to: 'v2' });
      clock.advance(50);
      b.flush(room);
      expect(sent.at(-1)).toMatchObject({ event: 'room:state', to: roomChannel('ABCDE') });
      expect(b.patchFor('ABCDE', 'a')).toBeUndefined();
      clock.advance(1000);
      expect(sent.filter((m) => m.to.includes('a'))).toEqual([]);
    });

    it('riders that answer frames at any moment apply every patch they get and show the room', () => {
      const clock = createManualClock();
      const { io, sent } = fakeIo();
      const { room, state } = fakeRoom(clock, 6);
      const riders = ['r0', 'r1', 'r2'];
      const b = new StateBroadcaster(io, clock, 5, withRiders(...riders));
      const clients = riders.map((id) => client(4, id));
      const v2 = client(2);
      b.flush(room);
      for (const c of [...clients, v2]) c.sync.whole(b.current(room));
      let delivered = sent.length;
      let applied = 0;
      let random = 7;
      const next = () => {
        random = (random * 1103515245 + 12345) % 2 ** 31;
        return random / 2 ** 31;
      };
      for (let step = 1; step <= 400; step++) {
        // Frames scored at random moments: each moves a meter, and its answer goes to its sender.
        clock.advance(Math.floor(next() * 60));
        const sender = Math.floor(next() * 8); // 6 and 7: a frame of a protocol 2 player
        (state.players[sender % 6] as PlayerView).meter = Math.round(next() * 100) / 100;
        b.changed(room);
        for (; delivered < sent.length; delivered++)
          for (const c of [...clients, v2]) c.receive(sent[delivered] as Sent);
        const rider = clients[sender];
        // r2 stops sending frames half-way (camera lost): it still gets every patch, on its own.
        if (rider && !(sender === 2 && step > 200)) {
          const riding = b.patchFor('ABCDE', riders[sender] as string);
          if (riding) {
            expect(rider.sync.patch(JSON.parse(riding.json))).not.toBeNull();
            applied++;
          }
        }
      }
      clock.advance(1000);
      for (; delivered < sent.length; delivered++) for (const c of [...clients, v2]) c.receive(sent[delivered] as Sent);
      const truth = shown(room.snapshot());
      for (const c of [...clients, v2]) expect(shown(c.sync.current)).toEqual(truth);
      expect(applied).toBeGreaterThan(50);
    });
  });
});
