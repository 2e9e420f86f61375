import { beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../../server/game/clock.ts';
import type { GameRecord } from '../../../server/game/game-record.ts';
import { publicIdFromToken } from '../../../server/game/player-id.ts';
import { type GameTimings, Room, type RoomListener } from '../../../server/game/room.ts';
import { RoomRegistry } from '../../../server/game/room-registry.ts';
import { DEFAULT_SCORING } from '../../../server/game/scoring.ts';
import { EMOTIONS, type Emotion, emotionId } from '../../../shared/emotions.ts';
import type { FinalStandings, RoundResults } from '../../../shared/protocol.ts';
import { CameraLikeStream, syntheticFace } from '../../helpers/camera-like.ts';

const T: GameTimings = { countdownMs: 3000, roundResultsMs: 5000, finalResultsMs: 10_000, reconnectGraceMs: 60_000 };
const tok = (name: string) => `token-${name}-0123456789`;
const id = (name: string) => publicIdFromToken(tok(name));

interface Recorder extends RoomListener {
  rounds: RoundResults[];
  finals: FinalStandings[];
  records: GameRecord[];
  removed: [string, string][];
  emptied: number;
}

function recorder(): Recorder {
  const r: Recorder = {
    rounds: [],
    finals: [],
    records: [],
    removed: [],
    emptied: 0,
    changed: () => {},
    roundResults: (_room, x) => r.rounds.push(x),
    gameFinished: (_room, s, rec) => {
      r.finals.push(s);
      r.records.push(rec);
    },
    memberRemoved: (_room, memberId, reason) => r.removed.push([memberId, reason]),
    empty: () => {
      r.emptied++;
    },
  };
  return r;
}

function makeRoom(clock: ManualClock, listener: RoomListener, emotions: Emotion[] = ['happy', 'sad', 'surprise']) {
  let n = 0;
  return new Room(
    'ABCDE',
    { rounds: 3, roundSeconds: 10, emotions },
    {
      clock,
      random: () => 0.42,
      timings: T,
      scoring: DEFAULT_SCORING,
      newGameId: () => `game-${++n}`,
      listener,
    },
  );
}

/** One-hot-ish distribution favouring `e` with probability p. */
function dist(e: Emotion, p: number): Float32Array {
  const out = new Float32Array(7).fill((1 - p) / 6);
  out[emotionId(e)] = p;
  return out;
}

/** Each player's camera: live-looking frames of a face of their own (see test/helpers/camera-like.ts). */
const cameras = new Map<string, CameraLikeStream>();
function camera(name: string): CameraLikeStream {
  let c = cameras.get(name);
  if (!c) {
    c = new CameraLikeStream(syntheticFace(name.length * 31 + (name.codePointAt(0) ?? 0)), { seed: cameras.size + 1 });
    cameras.set(name, c);
  }
  return c;
}

/** Sends 5 frames/s for `ms`: `who` shows the prompt with probability p. */
function play(room: Room, clock: ManualClock, ms: number, players: Record<string, number>) {
  for (let t = 0; t < ms; t += 200) {
    for (const [name, p] of Object.entries(players)) {
      const frame = camera(name).next();
      const ticket = room.acceptFrame(id(name), frame);
      if (ticket.ok) room.recordFrame(id(name), ticket.value, dist(room.currentPrompt as Emotion, p));
    }
    clock.advance(200);
  }
}

describe('Room state machine', () => {
  let clock: ManualClock;
  let rec: Recorder;
  let room: Room;

  beforeEach(() => {
    clock = createManualClock();
    rec = recorder();
    room = makeRoom(clock, rec);
  });

  it('the creator is host; only the host starts; the game runs on the server clock to the end', () => {
    expect(room.join(tok('ann'), 'Ann').ok).toBe(true);
    expect(room.join(tok('bob'), 'Bob').ok).toBe(true);
    expect(room.hostId).toBe(id('ann'));
    expect(room.start(id('bob'))).toMatchObject({ ok: false, code: 'NOT_HOST' });
    expect(room.start(id('ann')).ok).toBe(true);
    expect(room.phase).toBe('countdown');
    expect(room.snapshot().round?.prompt).not.toBeNull(); // announced during the countdown
    expect(room.acceptFrame(id('ann'), new Uint8Array(2304))).toMatchObject({ ok: false, code: 'WRONG_PHASE' });
    clock.advance(2999);
    expect(room.phase).toBe('countdown');
    clock.advance(1);
    expect(room.phase).toBe('round');
    expect(room.snapshot().round?.timeLeftMs).toBe(10_000);

    const prompts: Emotion[] = [];
    for (let r = 0; r < 3; r++) {
      expect(room.phase).toBe('round');
      prompts.push(room.currentPrompt as Emotion);
      play(room, clock, 10_000, { ann: 0.9, bob: 0.2 });
      // The last round's results arrive together with the final standings.
      expect(room.phase).toBe(r < 2 ? 'roundResults' : 'finalResults');
      if (r < 2) {
        clock.advance(T.roundResultsMs);
        expect(room.phase).toBe('countdown');
        clock.advance(T.countdownMs);
      }
    }
    expect(room.phase).toBe('finalResults');
    expect(rec.rounds).toHaveLength(3);
    expect(prompts[0]).not.toBe(prompts[1]);
    expect(prompts[1]).not.toBe(prompts[2]);
    expect(rec.rounds[0]?.entries[0]?.playerId).toBe(id('ann'));
    const final = rec.finals[0] as FinalStandings;
    expect(final.rounds).toBe(3);
    expect(final.entries.map((e) => e.nickname)).toEqual(['Ann', 'Bob']);
    expect(final.entries[0]?.rank).toBe(1);
    expect(final.entries[0]?.totalScore).toBeGreaterThan(final.entries[1]?.totalScore ?? 0);
    const record = rec.records[0] as GameRecord;
    expect(record.rounds).toBe(3);
    expect(record.players).toHaveLength(2);
    expect(record.players[0]?.perEmotionBest[prompts[0] as Emotion]).toBeCloseTo(0.9, 2);
    clock.advance(T.finalResultsMs);
    expect(room.phase).toBe('lobby');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a single allowed emotion repeats; a single player plays a practice game', () => {
    room = makeRoom(clock, rec, ['happy']);
    room.join(tok('solo'), 'Solo');
    expect(room.start(id('solo')).ok).toBe(true);
    const prompts: (Emotion | null)[] = [];
    for (let r = 0; r < 3; r++) {
      clock.advance(T.countdownMs);
      prompts.push(room.currentPrompt);
      play(room, clock, 10_000, { solo: 0.6 });
      clock.advance(T.roundResultsMs);
    }
    expect(prompts).toEqual(['happy', 'happy', 'happy']);
    expect(rec.finals[0]?.entries).toHaveLength(1);
  });

  it('frames score only for players in the game, and results from a finished round are discarded', () => {
    room.join(tok('ann'), 'Ann');
    room.start(id('ann'));
    clock.advance(T.countdownMs);
    const late = room.join(tok('cat'), 'Cat');
    expect(late.ok && late.value.member.waiting).toBe(true);
    expect(room.acceptFrame(id('cat'), new Uint8Array(2304))).toMatchObject({ ok: false, code: 'NOT_A_PLAYER' });
    const ticket = room.acceptFrame(id('ann'), new Uint8Array(2304));
    expect(ticket.ok).toBe(true);
    clock.advance(10_000); // round ends before the result arrives
    if (ticket.ok) expect(room.recordFrame(id('ann'), ticket.value, dist('happy', 1))).toBeNull();
    clock.advance(T.roundResultsMs + T.countdownMs);
    expect(room.phase).toBe('round');
    // The late joiner plays from the next game on.
    clock.advance(10_000 + T.roundResultsMs + T.countdownMs + 10_000 + T.finalResultsMs);
    expect(room.phase).toBe('lobby');
    expect(room.member(id('cat'))?.waiting).toBe(false);
    room.start(id('ann'));
    clock.advance(T.countdownMs);
    expect(room.acceptFrame(id('cat'), new Uint8Array(2304)).ok).toBe(true);
  });

  it('a replayed still image scores nothing, and its frames come back as not counted: replay', () => {
    room.join(tok('ann'), 'Ann');
    room.join(tok('bob'), 'Bob');
    room.start(id('ann'));
    clock.advance(T.countdownMs);
    const still = camera('still').next();
    const annOutcomes: { counted: boolean; reason?: string }[] = [];
    for (let t = 0; t < 10_000; t += 200) {
      const a = room.acceptFrame(id('ann'), still);
      const outcome = a.ok ? room.recordFrame(id('ann'), a.value, dist(room.currentPrompt as Emotion, 0.95)) : null;
      if (outcome) annOutcomes.push({ counted: outcome.counted, reason: outcome.reason });
      const b = room.acceptFrame(id('bob'), camera('bob').next());
      if (b.ok) room.recordFrame(id('bob'), b.value, dist(room.currentPrompt as Emotion, 0.6));
      clock.advance(200);
    }
    const r = rec.rounds[0] as RoundResults;
    const ann = r.entries.find((e) => e.playerId === id('ann'));
    const bob = r.entries.find((e) => e.playerId === id('bob'));
    // Ann's first frame counted until its copy arrived 200 ms later; then it was revoked too.
    expect(ann).toMatchObject({ points: 0, peak: 0 });
    expect(bob?.points).toBeGreaterThan(600);
    expect(annOutcomes.slice(1).every((o) => !o.counted && o.reason === 'replay')).toBe(true);
    expect(room.snapshot().players.find((p) => p.id === id('ann'))?.meter).toBe(0);
  });

  it('a reconnect within the grace period keeps seat and score; after it the seat is gone', () => {
    room.join(tok('ann'), 'Ann');
    room.join(tok('bob'), 'Bob');
    room.start(id('ann'));
    clock.advance(T.countdownMs);
    play(room, clock, 10_000, { ann: 0.9, bob: 0.9 });
    const scoreBefore = room.member(id('bob'))?.score ?? 0;
    expect(scoreBefore).toBeGreaterThan(0);
    room.disconnect(id('bob'));
    expect(room.snapshot().players.find((p) => p.id === id('bob'))?.connected).toBe(false);
    clock.advance(59_000);
    const back = room.join(tok('bob'), 'Bob');
    expect(back.ok && back.value.rejoined).toBe(true);
    expect(room.member(id('bob'))?.score).toBe(scoreBefore);
    room.disconnect(id('bob'));
    clock.advance(60_000);
    expect(room.member(id('bob'))).toBeUndefined();
    expect(rec.removed).toContainEqual([id('bob'), 'timeout']);
  });

  it('host passes on when the host leaves or drops; an empty room is cleaned up', () => {
    room.join(tok('ann'), 'Ann');
    room.join(tok('bob'), 'Bob');
    room.join(tok('cat'), 'Cat');
    room.disconnect(id('ann'));
    expect(room.hostId).toBe(id('bob'));
    room.leave(id('bob'));
    expect(room.hostId).toBe(id('cat'));
    room.leave(id('cat'));
    expect(room.hostId).toBe(id('ann')); // only a disconnected member is left
    expect(rec.emptied).toBe(0);
    clock.advance(60_000);
    expect(rec.emptied).toBe(1);
    expect(room.isClosed).toBe(true);
  });

  it('kick: host only, and the kicked token cannot come back', () => {
    room.join(tok('ann'), 'Ann');
    room.join(tok('bob'), 'Bob');
    expect(room.kick(id('bob'), id('ann'))).toMatchObject({ ok: false, code: 'NOT_HOST' });
    expect(room.kick(id('ann'), id('ann')).ok).toBe(false);
    expect(room.kick(id('ann'), id('bob')).ok).toBe(true);
    expect(rec.removed).toContainEqual([id('bob'), 'kicked']);
    expect(room.join(tok('bob'), 'Bobby')).toMatchObject({ ok: false, code: 'KICKED' });
  });

  it('nicknames may not impersonate another member; the same token may keep its own', () => {
    room.join(tok('ann'), 'Ann');
    expect(room.join(tok('fake'), 'ANN')).toMatchObject({ ok: false, code: 'NICKNAME_TAKEN' });
    expect(room.join(tok('fake'), 'x')).toMatchObject({ ok: false, code: 'NICKNAME_INVALID' });
    expect(room.join(tok('ann'), 'ann').ok).toBe(true);
  });

  it('16 players, then spectators; spectators take free seats between games', () => {
    for (let i = 0; i < 16; i++) expect(room.join(tok(`p${i}`), `Player ${i}`).ok).toBe(true);
    const s = room.join(tok('late'), 'Latecomer');
    expect(s.ok && s.value.member.role).toBe('spectator');
    const watcher = room.join(tok('watch'), 'Watcher', 'spectator');
    expect(watcher.ok && watcher.value.member.role).toBe('spectator');
    room.leave(id('p3'));
    expect(room.member(id('late'))?.role).toBe('player');
    expect(room.member(id('watch'))?.role).toBe('spectator');
  });

  it('settings: host only, between games only', () => {
    room.join(tok('ann'), 'Ann');
    room.join(tok('bob'), 'Bob');
    expect(room.updateSettings(id('bob'), { rounds: 5 })).toMatchObject({ ok: false, code: 'NOT_HOST' });
    expect(room.updateSettings(id('ann'), { rounds: 5, emotions: ['happy'] })).toMatchObject({
      ok: true,
      value: { rounds: 5, roundSeconds: 10, emotions: ['happy'] },
    });
    room.start(id('ann'));
    expect(room.updateSettings(id('ann'), { rounds: 2 })).toMatchObject({ ok: false, code: 'WRONG_PHASE' });
    expect(room.start(id('ann'))).toMatchObject({ ok: false, code: 'WRONG_PHASE' });
  });

  it('when every player of a running game has left, the room goes back to the lobby', () => {
    room.join(tok('ann'), 'Ann');
    room.join(tok('spec'), 'Spec', 'spectator');
    room.start(id('ann'));
    clock.advance(T.countdownMs + 1000);
    room.leave(id('ann'));
    expect(room.phase).toBe('lobby');
    expect(rec.finals).toHaveLength(0);
  });

  it('finishNow (shutdown) publishes the running round and the game so far', () => {
    room.join(tok('ann'), 'Ann');
    room.start(id('ann'));
    clock.advance(T.countdownMs);
    play(room, clock, 4000, { ann: 0.9 });
    room.finishNow();
    expect(rec.rounds).toHaveLength(1);
    expect(rec.records[0]?.rounds).toBe(1);
    expect(rec.records[0]?.players[0]?.score).toBeGreaterThan(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('Room: changing role by re-joining', () => {
  let clock: ManualClock;
  let rec: Recorder;
  let room: Room;
  const role = (name: string) => room.member(id(name))?.role;

  beforeEach(() => {
    clock = createManualClock();
    rec = recorder();
    room = makeRoom(clock, rec);
  });

  it('a lone player switches to spectator and back in place, keeping seat and host', () => {
    room.join(tok('solo'), 'Solo');
    const watch = room.join(tok('solo'), 'Solo', 'spectator');
    expect(watch.ok && watch.value.rejoined).toBe(true);
    expect(watch.ok && watch.value.member.role).toBe('spectator');
    expect(room.memberCount).toBe(1);
    expect(room.hostId).toBe(id('solo'));
    expect(room.snapshot().players).toMatchObject([{ id: id('solo'), role: 'spectator', isHost: true }]);
    expect(rec.removed).toEqual([]);
    expect(room.start(id('solo'))).toMatchObject({ ok: false, code: 'NOT_A_PLAYER' });
    const play = room.join(tok('solo'), 'Solo', 'player');
    expect(play.ok && play.value.member).toMatchObject({ role: 'player', waiting: false });
    expect(room.start(id('solo')).ok).toBe(true);
  });

  it('a re-join without a role keeps the role, also after a disconnect', () => {
    room.join(tok('ann'), 'Ann');
    room.join(tok('spec'), 'Spec', 'spectator');
    expect(room.join(tok('spec'), 'Spec').ok).toBe(true);
    expect(role('spec')).toBe('spectator');
    room.disconnect(id('ann'));
    const back = room.join(tok('ann'), 'Ann', 'spectator');
    expect(back.ok && back.value.member).toMatchObject({ role: 'spectator', connected: true });
    room.disconnect(id('spec'));
    expect(room.join(tok('spec'), 'Spec', 'player').ok).toBe(true);
    expect(role('spec')).toBe('player');
  });

  it('a player leaving a running game for the stands stops scoring and is not in its standings', () => {
    room.join(tok('ann'), 'Ann');
    room.join(tok('bob'), 'Bob');
    room.start(id('ann'));
    clock.advance(T.countdownMs);
    play(room, clock, 4000, { ann: 0.9, bob: 0.9 });
    expect(room.join(tok('bob'), 'Bob', 'spectator').ok).toBe(true);
    expect(room.member(id('bob'))).toMatchObject({ role: 'spectator', inGame: false, waiting: false });
    expect(room.acceptFrame(id('bob'), new Uint8Array(2304))).toMatchObject({ ok: false, code: 'NOT_A_PLAYER' });
    expect(room.phase).toBe('round');
    clock.advance(60_000);
    expect(rec.finals[0]?.entries.map((e) => e.nickname)).toEqual(['Ann']);
    expect(rec.records[0]?.players.map((p) => p.nickname)).toEqual(['Ann']);
  });

  it('when the last player of a running game switches to spectator, the room goes back to the lobby', () => {
    room.join(tok('ann'), 'Ann');
    room.start(id('ann'));
    clock.advance(T.countdownMs + 1000);
    room.join(tok('ann'), 'Ann', 'spectator');
    expect(room.phase).toBe('lobby');
    expect(rec.finals).toHaveLength(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a spectator who asks to play during a game waits for the next one', () => {
    room.join(tok('ann'), 'Ann');
    room.join(tok('spec'), 'Spec', 'spectator');
    room.start(id('ann'));
    clock.advance(T.countdownMs);
    const asks = room.join(tok('spec'), 'Spec', 'player');
    expect(asks.ok && asks.value.member).toMatchObject({ role: 'player', waiting: true, inGame: false });
    expect(room.acceptFrame(id('spec'), new Uint8Array(2304))).toMatchObject({ ok: false, code: 'NOT_A_PLAYER' });
    clock.advance(60_000); // the rest of the game and its final results
    expect(room.phase).toBe('lobby');
    expect(room.start(id('ann')).ok).toBe(true);
    clock.advance(T.countdownMs);
    expect(room.acceptFrame(id('spec'), new Uint8Array(2304)).ok).toBe(true);
  });

  it('player seats: a spectator asking to play in a full room waits for a seat, which a switching player frees', () => {
    for (let i = 0; i < 16; i++) room.join(tok(`p${i}`), `Player ${i}`);
    room.join(tok('spec'), 'Spec', 'spectator');
    const asks = room.join(tok('spec'), 'Spec', 'player');
    expect(asks.ok && asks.value.member.role).toBe('spectator');
    room.join(tok('p5'), 'Player 5', 'spectator');
    expect(role('p5')).toBe('spectator');
    expect(role('spec')).toBe('player');
    // p5 asked to watch: it does not take the next free seat back.
    room.leave(id('p0'));
    expect(role('p5')).toBe('spectator');
    expect(room.snapshot().players.filter((p) => p.role === 'player')).toHaveLength(15);
  });

  it('a spectator who waited for a seat stops waiting when re-joining as spectator', () => {
    for (let i = 0; i < 16; i++) room.join(tok(`p${i}`), `Player ${i}`);
    room.join(tok('late'), 'Latecomer'); // wanted to play, got a spectator seat
    room.join(tok('late'), 'Latecomer', 'spectator');
    room.leave(id('p1'));
    expect(role('late')).toBe('spectator');
  });

  it('spectator seats: a player cannot switch when they are all taken, and keeps playing', () => {
    room.join(tok('ann'), 'Ann');
    for (let i = 0; i < 32; i++) expect(room.join(tok(`s${i}`), `Watcher ${i}`, 'spectator').ok).toBe(true);
    expect(room.join(tok('ann'), 'Ann', 'spectator')).toMatchObject({ ok: false, code: 'ROOM_FULL' });
    expect(room.member(id('ann'))).toMatchObject({ role: 'player', wantsToPlay: true });
    // A spectator can still switch to player (16 seats, one taken).
    expect(room.join(tok('s0'), 'Watcher 0', 'player').ok).toBe(true);
    expect(role('s0')).toBe('player');
  });
});

describe('RoomRegistry', () => {
  it('creates rooms with unique codes and forgets empty rooms', () => {
    const clock = createManualClock();
    const codes = ['AAAAA', 'AAAAA', 'BBBBB'];
    let i = 0;
    const reg = new RoomRegistry({
      clock,
      random: Math.random,
      timings: T,
      scoring: DEFAULT_SCORING,
      newGameId: () => 'g',
      listener: recorder(),
      defaultSettings: () => ({ rounds: 3, roundSeconds: 10, emotions: [...EMOTIONS] }),
      // Draws characters of the scripted codes in order.
      randomIndex: () =>
        'ABCDEFGHJKMNPQRSTUVWXYZ23456789'.indexOf((codes[Math.floor(i / 5)] as string)[i++ % 5] as string),
    });
    const a = reg.create();
    const b = reg.create({ rounds: 7 });
    expect(a.code).toBe('AAAAA');
    expect(b.code).toBe('BBBBB');
    expect(b.settings.rounds).toBe(7);
    a.join(tok('ann'), 'Ann');
    a.leave(id('ann'));
    expect(reg.get('AAAAA')).toBeUndefined();
    reg.discard(b);
    expect(reg.size).toBe(0);
  });
});
