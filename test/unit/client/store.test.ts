import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../client/src/core/event-bus.ts';
import { ArenaStore } from '../../../client/src/core/store.ts';
import type { JoinResult, PlayerView, RoomState } from '../../../shared/protocol.ts';

function player(id: string, over: Partial<PlayerView> = {}): PlayerView {
  return {
    id,
    nickname: id,
    role: 'player',
    isHost: false,
    connected: true,
    score: 0,
    meter: 0,
    waiting: false,
    ...over,
  };
}

function room(over: Partial<RoomState> = {}): RoomState {
  return {
    code: 'ABCDE',
    phase: 'lobby',
    hostId: 'me',
    settings: { rounds: 3, roundSeconds: 10, emotions: ['happy'] },
    players: [player('me', { isHost: true }), player('other')],
    round: null,
    serverTime: Date.now(),
    ...over,
  };
}

function joined(state: RoomState): JoinResult {
  return { self: { playerId: 'me', role: 'player' }, state, lastRound: null, final: null };
}

describe('ArenaStore', () => {
  it('sends frames only in the round phase, as a playing (not waiting) player', () => {
    const bus = new EventBus();
    const store = new ArenaStore(bus);
    bus.emit('joined', joined(room()));
    expect(store.isHost).toBe(true);
    expect(store.shouldSend).toBe(false);
    const round = { index: 0, total: 3, prompt: 'happy' as const, timeLeftMs: 5000 };
    bus.emit('room', room({ phase: 'countdown', round }));
    expect(store.shouldSend).toBe(false);
    bus.emit('room', room({ phase: 'round', round }));
    expect(store.shouldSend).toBe(true);
    bus.emit('room', room({ phase: 'round', round, players: [player('me', { waiting: true })] }));
    expect(store.shouldSend).toBe(false);
    bus.emit('room', room({ phase: 'round', round, players: [player('me', { role: 'spectator' })] }));
    expect(store.shouldSend).toBe(false);
    expect(store.self?.role).toBe('spectator');
  });

  it('counts the phase time down by the local clock, corrected for the server clock offset', () => {
    const bus = new EventBus();
    let now = 1_700_000_000_000;
    const store = new ArenaStore(bus, () => now);
    // Server clock 10 s behind ours: the snapshot's serverTime is in the server's clock.
    bus.emit(
      'joined',
      joined(
        room({
          phase: 'round',
          serverTime: now - 10_000,
          round: { index: 0, total: 1, prompt: 'sad', timeLeftMs: 4000 },
        }),
      ),
    );
    expect(store.timeLeftMs()).toBe(4000);
    now += 1500;
    expect(store.timeLeftMs()).toBe(2500);
    expect(store.timeLeftMs(now + 7500)).toBe(0);
  });

  it('forgets the room when we leave or are kicked', () => {
    const bus = new EventBus();
    const store = new ArenaStore(bus);
    bus.emit('joined', joined(room()));
    bus.emit('kicked', 'bye');
    expect(store.room).toBeNull();
    expect(store.self).toBeNull();
  });
});

describe('EventBus', () => {
  it('lets a listener unsubscribe while the event is being delivered', () => {
    const bus = new EventBus<{ ping: number }>();
    const seen: string[] = [];
    const off = bus.on('ping', () => {
      seen.push('a');
      off();
    });
    bus.on('ping', () => seen.push('b'));
    bus.emit('ping', 1);
    bus.emit('ping', 2);
    expect(seen).toEqual(['a', 'b', 'b']);
  });
});
