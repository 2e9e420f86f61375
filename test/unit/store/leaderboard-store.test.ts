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

function game(id: string, finishedAt: number, rounds: number, players: [string, string, number][]): GameRecord {
  return {
    id,
    roomCode: 'ABCDE',
    startedAt: finishedAt - rounds * 20_000,
    finishedAt,
    rounds,
    settings: { rounds, roundSeconds: 10, emotions: ['happy', 'sad'] },
    players: players.map(([playerId, nickname, score]) => ({
      playerId,
      nickname,
      score,
      perEmotionBest: { happy: 0.9, sad: score / (rounds * 1100) },
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
    expect(board).toEqual([
      { rank: 1, playerId: 'p2', nickname: 'Bob', gamesPlayed: 2, totalPoints: 6000, bestAveragePerRound: 900 },
      { rank: 2, playerId: 'p1', nickname: 'Ann', gamesPlayed: 1, totalPoints: 2400, bestAveragePerRound: 800 },
      { rank: 3, playerId: 'p3', nickname: 'Cat', gamesPlayed: 2, totalPoints: 2100, bestAveragePerRound: 200 },
    ]);
    expect(await h.store.leaderboard({ period: 'all', limit: 2, now: NOW })).toHaveLength(2);
  });

  it('filters day and week by finish time, and shows the latest nickname', async () => {
    await h.store.saveGame(game('old', NOW - 10 * DAY, 3, [['p1', 'OldName', 3000]]));
    await h.store.saveGame(
      game('week', NOW - 3 * DAY, 3, [
        ['p1', 'Ann', 1500],
        ['p2', 'Bob', 2100],
      ]),
    );
    await h.store.saveGame(game('today', NOW - HOUR, 3, [['p2', 'Bobby', 900]]));
    const all = await h.store.leaderboard({ period: 'all', limit: 10, now: NOW });
    expect(all.map((e) => [e.playerId, e.nickname, e.bestAveragePerRound, e.gamesPlayed])).toEqual([
      ['p1', 'Ann', 1000, 2],
      ['p2', 'Bobby', 700, 2],
    ]);
    const week = await h.store.leaderboard({ period: 'week', limit: 10, now: NOW });
    expect(week.map((e) => [e.playerId, e.bestAveragePerRound, e.totalPoints])).toEqual([
      ['p2', 700, 3000],
      ['p1', 500, 1500],
    ]);
    const day = await h.store.leaderboard({ period: 'day', limit: 10, now: NOW });
    expect(day.map((e) => [e.playerId, e.nickname, e.totalPoints])).toEqual([['p2', 'Bobby', 900]]);
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
});
