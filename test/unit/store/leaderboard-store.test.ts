/** One suite, run over every LeaderboardStore implementation. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLeaderboardStore } from '../../../server/store/memory-store.ts';
import { openPgLeaderboardStore } from '../../../server/store/pg-store.ts';
import { SqliteLeaderboardStore } from '../../../server/store/sqlite-store.ts';
import type { GameRecord, LeaderboardStore } from '../../../server/store/types.ts';
import { dropTestSchema, newTestSchema, TEST_DATABASE_URL } from '../../helpers/pg.ts';

const NOW = Date.UTC(2026, 10, 27, 12);
const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * A finished game as the core records it. Games of 3+ rounds are ranked (the core decided that
 * players from 2+ addresses scored); each player plays from an address of their own unless given.
 */
function game(
  id: string,
  finishedAt: number,
  rounds: number,
  players: [string, string, number, string?][],
  ranked = rounds >= 3,
): GameRecord {
  return {
    id,
    roomCode: 'ABCDE',
    startedAt: finishedAt - rounds * 20_000,
    finishedAt,
    rounds,
    settings: { rounds, roundSeconds: 10, emotions: ['happy', 'sad'] },
    ranked,
    players: players.map(([playerId, nickname, score, address]) => ({
      playerId,
      nickname,
      score,
      perEmotionBest: { happy: 0.9, sad: score / (rounds * 1100) },
      addressKey: address ?? `addr-${playerId}`,
    })),
  };
}

interface StoreUnderTest {
  store: LeaderboardStore;
  reopen?: () => Promise<LeaderboardStore>;
  cleanup: () => Promise<void> | void;
}

const implementations: [string, () => Promise<StoreUnderTest>][] = [
  ['memory', async () => ({ store: new MemoryLeaderboardStore(), cleanup: () => {} })],
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'arena-store-'));
      const file = join(dir, 'leaderboard.sqlite');
      return {
        store: new SqliteLeaderboardStore(file),
        reopen: async () => new SqliteLeaderboardStore(file),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'postgres',
    async () => {
      // Each test gets its own schema, so parallel runs (and other engineers' runs) never see each other's rows.
      const schema = newTestSchema('store');
      return {
        store: await openPgLeaderboardStore({ connectionString: TEST_DATABASE_URL, schema }),
        reopen: () => openPgLeaderboardStore({ connectionString: TEST_DATABASE_URL, schema }),
        cleanup: () => dropTestSchema(schema),
      };
    },
  ],
];

describe.each(implementations)('LeaderboardStore: %s', (_name, make) => {
  let h: StoreUnderTest;
  beforeEach(async () => {
    h = await make();
  });
  afterEach(async () => {
    await h.store.close();
    await h.cleanup();
  });

  it('stores a game and reads it back', async () => {
    const g = game('g1', NOW, 3, [
      ['p1', 'Ann', 2400],
      ['p2', 'Bob', 1200],
    ]);
    await h.store.saveGame(g);
    await h.store.saveGame(g); // idempotent
    expect(await h.store.getGame('g1')).toEqual(g);
    expect(await h.store.getGame('nope')).toBeNull();
  });

  it('ranks by best average per round over games of at least 3 rounds, with games played and total points', async () => {
    await h.store.saveGame(
      game('g1', NOW - HOUR, 3, [
        ['p1', 'Ann', 2400],
        ['p2', 'Bob', 1500],
      ]),
    );
    await h.store.saveGame(
      game('g2', NOW - 2 * HOUR, 5, [
        ['p2', 'Bob', 4500],
        ['p3', 'Cat', 1000],
      ]),
    );
    // Short games count for games played and points but not for the ranking average.
    await h.store.saveGame(
      game('g3', NOW - 3 * HOUR, 1, [
        ['p3', 'Cat', 1100],
        ['p4', 'Dan', 1100],
      ]),
    );
    const board = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW });
    const entry = (rank: number, playerId: string, nickname: string, games: number, total: number, best: number) => ({
      rank,
      playerId,
      nickname,
      gamesPlayed: games,
      totalPoints: total,
      bestAveragePerRound: best,
      tag: playerId.slice(0, 4),
      lookalike: false,
    });
    expect(board).toEqual([
      entry(1, 'p2', 'Bob', 2, 6000, 900),
      entry(2, 'p1', 'Ann', 1, 2400, 800),
      entry(3, 'p3', 'Cat', 2, 2100, 200),
    ]);
    expect(await h.store.leaderboard({ period: 'all', limit: 2, now: NOW })).toHaveLength(2);
  });

  it('filters day and week by finish time; the ranked board keeps the first name, practice shows the latest', async () => {
    await h.store.saveGame(game('old', NOW - 10 * DAY, 3, [['p1', 'OldName', 3000]]));
    await h.store.saveGame(
      game('week', NOW - 3 * DAY, 3, [
        ['p1', 'Ann', 1500],
        ['p2', 'Bob', 2100],
      ]),
    );
    await h.store.saveGame(game('today', NOW - HOUR, 3, [['p2', 'Bobby', 900]]));
    const all = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW });
    // p1 first ranked as OldName and p2 as Bob: an identity names itself once.
    expect(all.map((e) => [e.playerId, e.nickname, e.bestAveragePerRound, e.gamesPlayed])).toEqual([
      ['p1', 'OldName', 1000, 2],
      ['p2', 'Bob', 700, 2],
    ]);
    const practice = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW, board: 'practice' });
    expect(practice.map((e) => [e.playerId, e.nickname])).toEqual([
      ['p1', 'Ann'],
      ['p2', 'Bobby'],
    ]);
    const week = await h.store.leaderboard({ period: 'week', limit: 10, now: NOW });
    expect(week.map((e) => [e.playerId, e.bestAveragePerRound, e.totalPoints])).toEqual([
      ['p2', 700, 3000],
      ['p1', 500, 1500],
    ]);
    const day = await h.store.leaderboard({ period: 'day', limit: 10, now: NOW });
    expect(day.map((e) => [e.playerId, e.nickname, e.totalPoints])).toEqual([['p2', 'Bob', 900]]);
  });

  it('breaks ties by total points, then games played', async () => {
    await h.store.saveGame(
      game('a', NOW, 3, [
        ['p1', 'Ann', 1500],
        ['p2', 'Bob', 1500],
      ]),
    );
    await h.store.saveGame(game('b', NOW, 1, [['p2', 'Bob', 10]]));
    const board = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW });
    expect(board.map((e) => e.playerId)).toEqual(['p2', 'p1']);
  });

  it('keeps games across a restart (same file)', async () => {
    if (!h.reopen) return; // only persistent stores
    await h.store.saveGame(game('g1', NOW, 3, [['p1', 'Ann', 2400]]));
    await h.store.close();
    h.store = await h.reopen();
    expect((await h.store.leaderboard({ period: 'all', limit: 10, now: NOW }))[0]?.playerId).toBe('p1');
  });

  it('an unranked game (solo, or one address) goes to the practice board only', async () => {
    await h.store.saveGame(game('solo', NOW, 5, [['p1', 'Solo', 5000]], false));
    expect(await h.store.leaderboard({ period: 'all', limit: 10, now: NOW })).toEqual([]);
    const practice = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW, board: 'practice' });
    expect(practice.map((e) => [e.nickname, e.bestAveragePerRound])).toEqual([['Solo', 1000]]);
    expect((await h.store.getGame('solo'))?.ranked).toBe(false);
  });

  it('one address registers at most 3 new ranked identities a day; the 4th plays practice only', async () => {
    for (let i = 1; i <= 5; i++) {
      await h.store.saveGame(
        game(`g${i}`, NOW + i * HOUR, 3, [
          [`sock${i}`, `Puppet${i}`, 3000 - i, 'one-address'],
          ['honest', 'Honest', 1500, 'home'],
        ]),
      );
    }
    const board = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW + DAY });
    expect(board.map((e) => e.nickname)).toEqual(['Puppet1', 'Puppet2', 'Puppet3', 'Honest']);
    const practice = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW + DAY, board: 'practice' });
    expect(practice.map((e) => e.nickname)).toContain('Puppet5');
    // A day after the first registrations, the address may register again.
    await h.store.saveGame(
      game('later', NOW + 26 * HOUR, 3, [
        ['sock6', 'Puppet6', 2000, 'one-address'],
        ['honest', 'Honest', 1500, 'home'],
      ]),
    );
    const later = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW + 2 * DAY });
    expect(later.map((e) => e.nickname)).toContain('Puppet6');
    // An identity registered before keeps ranking from any address.
    await h.store.saveGame(
      game('moved', NOW + 27 * HOUR, 3, [
        ['sock1', 'Puppet1', 3300, 'one-address'],
        ['honest', 'Honest', 1500, 'home'],
      ]),
    );
    const moved = await h.store.leaderboard({ period: 'all', limit: 1, now: NOW + 2 * DAY });
    expect(moved[0]).toMatchObject({ nickname: 'Puppet1', bestAveragePerRound: 1100 });
  });

  it('a player with no points is not on either board', async () => {
    await h.store.saveGame(
      game('g', NOW, 3, [
        ['p1', 'Ann', 2400],
        ['replayer', 'Replayer', 0],
      ]),
    );
    for (const board of ['ranked', 'practice'] as const) {
      const entries = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW, board });
      expect(entries.map((e) => e.nickname)).toEqual(['Ann']);
    }
  });

  it('names that look alike on one page carry the public id tag', async () => {
    await h.store.saveGame(
      game('g', NOW, 3, [
        ['aaaa1111', 'Alice', 3000],
        ['bbbb2222', 'AIice', 2900],
        ['cccc3333', 'Bob', 2800],
      ]),
    );
    const board = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW });
    expect(board.map((e) => [e.nickname, e.tag, e.lookalike])).toEqual([
      ['Alice', 'aaaa', true],
      ['AIice', 'bbbb', true],
      ['Bob', 'cccc', false],
    ]);
  });
});
