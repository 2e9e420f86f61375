/**
 * What a token farmer gets from the leaderboard, over real sockets and HTTP: many fresh tokens
 * from one address, solo games, renaming a ranked identity, and look-alike names on the board.
 * The frames come from the marker engine (these tests judge the ranking rules, not the model);
 * every player's frames change like a camera's, so the liveness check lets them score.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicIdFromToken } from '../../../server/game/player-id.ts';
import { emotionId } from '../../../shared/emotions.ts';
import type { FinalStandings, JoinResult, LeaderboardEntry } from '../../../shared/protocol.ts';
import {
  ask,
  type Bot,
  connectBot,
  markerEngine,
  markerFrame,
  newToken,
  PlayerBot,
  startTestServer,
  type TestServer,
  waitFor,
} from '../../helpers/server-harness.ts';

interface Seat {
  token: string;
  nickname: string;
  address: string;
}

describe('the leaderboard against a token farm', () => {
  let server: TestServer;
  const sockets: Bot[] = [];

  beforeAll(async () => {
    server = await startTestServer({ engine: markerEngine(), trustProxy: true });
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.close();
  });

  /** Plays one game of 3 rounds of 3 s with these seats (the first hosts); everyone shows the prompt. */
  async function playGame(seats: Seat[]): Promise<void> {
    const bots: PlayerBot[] = [];
    let code = '';
    for (const [i, seat] of seats.entries()) {
      const socket = await connectBot(server.url, { extraHeaders: { 'x-forwarded-for': seat.address } });
      sockets.push(socket);
      const req = { nickname: seat.nickname, playerToken: seat.token };
      const joined =
        i === 0
          ? await ask<JoinResult>(socket, 'room:create', {
              ...req,
              settings: { rounds: 3, roundSeconds: 3, emotions: ['happy'] },
            })
          : await ask<JoinResult>(socket, 'room:join', { ...req, code });
      if (!joined.ok) throw new Error(`${seat.nickname}: ${joined.error.message}`);
      code = joined.data.state.code;
      bots.push(new PlayerBot(socket, (prompt, n) => markerFrame(emotionId(prompt), n + i * 1000)));
    }
    for (const b of bots) b.start();
    const host = bots[0]?.socket as Bot;
    const final = waitFor(host, 'game:final', () => true, 60_000) as Promise<FinalStandings>;
    expect((await ask(host, 'game:start')).ok).toBe(true);
    await final;
    for (const b of bots) {
      b.stop();
      b.socket.disconnect();
    }
    // The game is stored just after game:final: wait until the practice board (every game) has it.
    const deadline = Date.now() + 15_000;
    const gameId = (await final).gameId;
    while (Date.now() < deadline) {
      const practice = await board('practice');
      const stored = seats.every((seat) => practice.some((e) => e.playerId === publicIdFromToken(seat.token)));
      if (stored) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`game ${gameId} never reached the practice board`);
  }

  async function board(which: 'ranked' | 'practice'): Promise<LeaderboardEntry[]> {
    const res = await fetch(`${server.url}/api/leaderboard?period=all&limit=100&board=${which}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: true; data: { board: string; entries: LeaderboardEntry[] } };
    expect(body.data.board).toBe(which);
    return body.data.entries;
  }

  it('a solo game is practice: it is not on the ranked board', async () => {
    await playGame([{ token: newToken('solo'), nickname: 'Lonely', address: '203.0.113.1' }]);
    expect((await board('ranked')).map((e) => e.nickname)).not.toContain('Lonely');
    expect((await board('practice')).map((e) => e.nickname)).toContain('Lonely');
  }, 90_000);

  it('five fresh tokens from one address with a partner elsewhere: three rank, the rest play practice', async () => {
    const partner: Seat = { token: newToken('partner'), nickname: 'Partner', address: '198.51.100.50' };
    const farm = Array.from({ length: 5 }, (_, i) => ({
      token: newToken(`farm${i}`),
      nickname: `Farm${i}`,
      address: '203.0.113.66',
    }));
    await playGame([partner, ...farm]);
    const ranked = (await board('ranked')).map((e) => e.nickname);
    expect(ranked).toContain('Partner');
    expect(ranked.filter((n) => n.startsWith('Farm'))).toHaveLength(3);
    expect((await board('practice')).map((e) => e.nickname).filter((n) => n.startsWith('Farm'))).toHaveLength(5);
    // The same farm from one address only (two browsers on one connection): nothing new ranks.
    const alone = Array.from({ length: 2 }, (_, i) => ({
      token: newToken(`same${i}`),
      nickname: `Same${i}`,
      address: '192.0.2.7',
    }));
    await playGame(alone);
    expect((await board('ranked')).map((e) => e.nickname).filter((n) => n.startsWith('Same'))).toEqual([]);
  }, 120_000);

  it('a ranked identity keeps its first name; a look-alike of it shows with a tag', async () => {
    const alice: Seat = { token: newToken('alice'), nickname: 'Alice', address: '198.51.100.80' };
    const friend: Seat = { token: newToken('friend'), nickname: 'Friend', address: '198.51.100.81' };
    await playGame([alice, friend]);
    // Alice renames herself to a famous name: her ranked entry keeps "Alice".
    await playGame([{ ...alice, nickname: 'Famous' }, friend]);
    let ranked = await board('ranked');
    expect(ranked.map((e) => e.nickname)).toContain('Alice');
    expect(ranked.map((e) => e.nickname)).not.toContain('Famous');
    // Another identity picks "AIice" (capital I) in a room without Alice: both entries get the tag.
    const imposter: Seat = { token: newToken('imp'), nickname: 'AIice', address: '198.51.100.82' };
    await playGame([imposter, friend]);
    ranked = await board('ranked');
    const alikes = ranked.filter((e) => e.nickname === 'Alice' || e.nickname === 'AIice');
    expect(alikes).toHaveLength(2);
    for (const e of alikes) expect(e).toMatchObject({ lookalike: true, tag: e.playerId.slice(0, 4) });
    expect(new Set(alikes.map((e) => e.tag)).size).toBe(2);
  }, 120_000);

  it('a bad board parameter is refused with a message naming the choices', async () => {
    const res = await fetch(`${server.url}/api/leaderboard?board=everyone`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/board ranked\|practice/);
  });
});
