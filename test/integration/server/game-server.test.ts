/**
 * Protocol behaviour over real sockets: full game flow, reconnection, kick, leaderboard
 * persistence across a restart. Uses the shipped model when there is one (these tests do
 * not judge it), else a deterministic marker engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EMOTIONS, emotionId } from '../../../shared/emotions.ts';
import type { FinalStandings, JoinResult, LeaderboardEntry, RoundResults } from '../../../shared/protocol.ts';
import {
  ask,
  type Bot,
  connectBot,
  markerFrame,
  newToken,
  PlayerBot,
  sharedTestEngine,
  startTestServer,
  type TestServer,
  waitFor,
} from '../../helpers/server-harness.ts';

const engine = sharedTestEngine('game-server.test');
const usesMarker = () => engine().name.startsWith('marker');

/** Frames showing the prompt (marker engine) — with a real model these are just varied frames. */
const showPrompt = (prompt: (typeof EMOTIONS)[number], n: number) => markerFrame(emotionId(prompt), n);
const showOther = (prompt: (typeof EMOTIONS)[number], n: number) =>
  markerFrame((emotionId(prompt) + 1 + (n % 6)) % 7, n);

async function createRoom(server: TestServer, name: string, settings?: object) {
  const socket = await connectBot(server.url);
  const token = newToken(name);
  const r = await ask<JoinResult>(socket, 'room:create', { nickname: name, playerToken: token, settings });
  if (!r.ok) throw new Error(`create failed: ${r.error.message}`);
  return { socket, token, join: r.data };
}

async function joinRoom(server: TestServer, code: string, name: string, token = newToken(name)) {
  const socket = await connectBot(server.url);
  const r = await ask<JoinResult>(socket, 'room:join', { code, nickname: name, playerToken: token });
  return { socket, token, r };
}

describe('game server over Socket.IO', () => {
  let server: TestServer;
  const sockets: Bot[] = [];

  beforeAll(async () => {
    server = await startTestServer({ engine: engine() });
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server.close();
  });

  it('plays a full game: state broadcasts, frame results, round results, final standings', async () => {
    const host = await createRoom(server, 'Host', { rounds: 2, roundSeconds: 2, emotions: ['happy', 'sad'] });
    sockets.push(host.socket);
    expect(host.join.state.code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{5}$/);
    expect(host.join.self.playerId).not.toBe(host.token);
    const guest = await joinRoom(server, host.join.state.code.toLowerCase(), 'Guest');
    sockets.push(guest.socket);
    expect(guest.r.ok).toBe(true);

    const a = new PlayerBot(host.socket, showPrompt);
    const b = new PlayerBot(guest.socket, showOther);
    a.start();
    b.start();
    const rounds: RoundResults[] = [];
    host.socket.on('round:results', (r) => rounds.push(r));
    const finalP = waitFor(guest.socket, 'game:final');
    expect((await ask(guest.socket, 'game:start')).ok).toBe(false); // not host
    expect((await ask(host.socket, 'game:start')).ok).toBe(true);
    const final = (await finalP) as FinalStandings;
    a.stop();
    b.stop();
    expect(rounds).toHaveLength(2);
    expect(rounds[0]?.prompt).not.toBe(rounds[1]?.prompt);
    expect(final.rounds).toBe(2);
    expect(final.entries).toHaveLength(2);
    expect(a.resultsReceived).toBeGreaterThan(5);
    expect(a.errors.filter((e) => e !== 'WRONG_PHASE')).toEqual([]);
    if (usesMarker()) expect(final.entries[0]?.nickname).toBe('Host');
    // State broadcasts carried live meters and a server-side countdown.
    expect(a.state?.players.map((p) => p.nickname).sort()).toEqual(['Guest', 'Host']);
    const lb = await ask<LeaderboardEntry[]>(host.socket, 'leaderboard:get', { period: 'all' });
    expect(lb.ok).toBe(true); // 2-round games do not rank, but the query works
  });

  it('a dropped player gets the same seat and score back (explicit rejoin and connection state recovery)', async () => {
    const host = await createRoom(server, 'Hanna', { rounds: 3, roundSeconds: 2, emotions: ['happy', 'surprise'] });
    const code = host.join.state.code;
    const guest = await joinRoom(server, code, 'Gus');
    sockets.push(host.socket, guest.socket);
    const hostBot = new PlayerBot(host.socket, showPrompt);
    const guestBot = new PlayerBot(guest.socket, showPrompt);
    hostBot.start();
    guestBot.start();
    const firstRound = waitFor(guest.socket, 'round:results', (r) => r.index === 0);
    await ask(host.socket, 'game:start');
    const r0 = (await firstRound) as RoundResults;
    const guestId = guest.r.ok ? guest.r.data.self.playerId : '';
    const scoreAfter0 = r0.entries.find((e) => e.playerId === guestId)?.totalScore ?? -1;
    if (usesMarker()) expect(scoreAfter0).toBeGreaterThan(0);

    // 1) Reload: a brand-new connection with the same player token.
    guest.socket.disconnect();
    const back = await joinRoom(server, code, 'Gus', guest.token);
    sockets.push(back.socket);
    expect(back.r.ok).toBe(true);
    if (!back.r.ok) return;
    expect(back.r.data.self.playerId).toBe(guestId);
    const seat = back.r.data.state.players.find((p) => p.id === guestId);
    expect(seat?.score).toBe(scoreAfter0);
    expect(seat?.connected).toBe(true);
    expect(back.r.data.lastRound?.index).toBe(0);

    // 2) Wi-Fi blip: the transport drops and Socket.IO recovers the session.
    const blip = await connectBot(server.url, { reconnection: true, reconnectionDelay: 50 });
    sockets.push(blip);
    const jr = await ask<JoinResult>(blip, 'room:join', { code, nickname: 'Blip', playerToken: newToken('blip') });
    expect(jr.ok).toBe(true);
    const snapshot = waitFor(blip, 'room:state');
    (blip as unknown as { io: { engine: { close(): void } } }).io.engine.close();
    await waitFor(blip, 'room:state', () => blip.recovered);
    expect(blip.recovered).toBe(true);
    const state = await snapshot;
    expect(state.players.find((p) => p.nickname === 'Blip')?.connected).toBe(true);

    guestBot.attach(back.socket);
    await waitFor(host.socket, 'game:final');
    hostBot.stop();
    guestBot.stop();
  });

  it('re-joining with the other role switches it in place, also for a player alone in the room', async () => {
    const solo = await createRoom(server, 'Sol');
    sockets.push(solo.socket);
    const code = solo.join.state.code;
    const me = solo.join.self.playerId;
    const rejoin = (role?: 'player' | 'spectator') =>
      ask<JoinResult>(solo.socket, 'room:join', { code, nickname: 'Sol', playerToken: solo.token, role });

    const watch = await rejoin('spectator');
    expect(watch.ok && watch.data.self).toEqual({ playerId: me, role: 'spectator' });
    expect(watch.ok && watch.data.state.players).toMatchObject([{ id: me, role: 'spectator', isHost: true }]);
    expect(await ask(solo.socket, 'game:start')).toMatchObject({ ok: false, error: { code: 'NOT_A_PLAYER' } });
    // A re-join that names no role keeps the current one.
    const same = await rejoin();
    expect(same.ok && same.data.self.role).toBe('spectator');
    const back = await rejoin('player');
    expect(back.ok && back.data.self).toEqual({ playerId: me, role: 'player' });
    expect(back.ok && back.data.state.players).toMatchObject([{ id: me, role: 'player', waiting: false }]);
  });

  it('a kicked player is removed, told so, and cannot rejoin', async () => {
    const host = await createRoom(server, 'Kate');
    const code = host.join.state.code;
    const guest = await joinRoom(server, code, 'Troll');
    sockets.push(host.socket, guest.socket);
    if (!guest.r.ok) throw new Error('join failed');
    const kicked = waitFor(guest.socket, 'room:kicked');
    const notHost = await ask(guest.socket, 'room:kick', { playerId: host.join.self.playerId });
    expect(notHost).toMatchObject({ ok: false, error: { code: 'NOT_HOST' } });
    expect(await ask(host.socket, 'room:kick', { playerId: guest.r.data.self.playerId })).toEqual({
      ok: true,
      data: null,
    });
    await kicked;
    const state = await waitFor(host.socket, 'room:state', (s) => s.players.length === 1);
    expect(state.players[0]?.nickname).toBe('Kate');
    const again = await ask(guest.socket, 'room:join', { code, nickname: 'Troll', playerToken: guest.token });
    expect(again).toMatchObject({ ok: false, error: { code: 'KICKED' } });
    const other = await joinRoom(server, code, 'Troll2', guest.token);
    sockets.push(other.socket);
    expect(other.r).toMatchObject({ ok: false, error: { code: 'KICKED' } });
  });

  it('rate-limits frames per socket (10/s) and drops frames outside a round, counting both', async () => {
    const host = await createRoom(server, 'Rita');
    sockets.push(host.socket);
    const codes = await Promise.all(
      Array.from({ length: 30 }, (_, i) => ask(host.socket, 'frame:send', { seq: i, data: markerFrame(3, i) })),
    );
    const errors = codes.map((a) => (a.ok ? 'ok' : a.error.code));
    // The lobby has no round: the first 10 (the bucket) are dropped as WRONG_PHASE, the rest rate-limited.
    expect(errors.filter((c) => c === 'WRONG_PHASE')).toHaveLength(10);
    expect(errors.filter((c) => c === 'RATE_LIMITED')).toHaveLength(20);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/emotion_arena_frames_dropped_total\{reason="rate_limited"\} ([2-9]\d|\d{3,})/);
    expect(metrics).toMatch(/emotion_arena_frames_dropped_total\{reason="outside_round"\} ([1-9]\d+)/);
  });

  it('rejects impersonation and unknown rooms with clear errors', async () => {
    const host = await createRoom(server, 'Alice');
    sockets.push(host.socket);
    const fake = await joinRoom(server, host.join.state.code, 'ALICE');
    sockets.push(fake.socket);
    expect(fake.r).toMatchObject({ ok: false, error: { code: 'NICKNAME_TAKEN' } });
    const none = await joinRoom(server, 'ZZZZZ', 'Bob');
    sockets.push(none.socket);
    expect(none.r).toMatchObject({ ok: false, error: { code: 'ROOM_NOT_FOUND' } });
    // HTTP long-polling works too (Socket.IO owns /socket.io/, express the rest).
    const polling = await connectBot(server.url, { transports: ['polling'] });
    sockets.push(polling);
    const viaPolling = await ask<JoinResult>(polling, 'room:join', {
      code: host.join.state.code,
      nickname: 'Pollster',
      playerToken: newToken('poll'),
    });
    expect(viaPolling.ok).toBe(true);
    const bad = await fetch(`${server.url}/api/leaderboard?limit=0`);
    expect(bad.status).toBe(400);
  });
});

describe('leaderboard persistence', () => {
  it('returns the finished game after a server restart (same SQLite file)', async () => {
    const first = await startTestServer({ engine: engine() });
    // 2 s rounds: a player needs points to be listed (a 1 s round ends before a 1 s hold).
    const host = await createRoom(first, 'Lea', { rounds: 3, roundSeconds: 2, emotions: ['happy', 'sad'] });
    const bot = new PlayerBot(host.socket, showPrompt);
    bot.start();
    const final = waitFor(host.socket, 'game:final');
    await ask(host.socket, 'game:start');
    const standings = (await final) as FinalStandings;
    bot.stop();
    host.socket.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    await first.close();

    const second = await startTestServer({ engine: engine(), dbFile: first.dbFile });
    try {
      // A solo game is practice: it is on the practice board, not the ranked one (docs/scoring.md).
      const res = await fetch(`${second.url}/api/leaderboard?period=day&limit=5&board=practice`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { ok: boolean; data: { entries: LeaderboardEntry[] } };
      const me = body.data.entries.find((e) => e.playerId === host.join.self.playerId);
      expect(me).toMatchObject({ nickname: 'Lea', gamesPlayed: 1, totalPoints: standings.entries[0]?.totalScore });
      expect(JSON.stringify(body)).not.toContain(host.token);
      const bad = await fetch(`${second.url}/api/leaderboard?period=year`);
      expect(bad.status).toBe(400);
      const health = await fetch(`${second.url}/healthz`);
      expect(((await health.json()) as { status: string }).status).toBe('ok');
      const metrics = await (await fetch(`${second.url}/metrics`)).text();
      expect(metrics).toContain('emotion_arena_frames_dropped_total{reason="stale"}');
    } finally {
      await second.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes the running round: players get round results and final standings, the game is stored', async () => {
    const server = await startTestServer({ engine: engine() });
    const host = await createRoom(server, 'Shut', { rounds: 5, roundSeconds: 30, emotions: ['happy'] });
    const bot = new PlayerBot(host.socket, showPrompt);
    bot.start();
    const roundResults = waitFor(host.socket, 'round:results');
    const final = waitFor(host.socket, 'game:final');
    await ask(host.socket, 'game:start');
    await waitFor(host.socket, 'room:state', (s) => s.phase === 'round');
    while (bot.resultsReceived < 8) await new Promise((r) => setTimeout(r, 100));
    await server.app.shutdown();
    bot.stop();
    const r = (await roundResults) as RoundResults;
    const f = (await final) as FinalStandings;
    expect(r.index).toBe(0);
    expect(f.rounds).toBe(1);
    const stored = await server.store.getGame(f.gameId);
    expect(stored?.rounds).toBe(1);
    expect(stored?.players[0]?.nickname).toBe('Shut');
    await server.close();
    // New connections are refused once the server is down.
    await expect(connectBot(server.url)).rejects.toBeTruthy();
  });
});
