/**
 * Several nodes write finished games to one database at once (cluster mode): the board they
 * then read is the one a single in-memory store computes from the same games, and a game
 * saved by two nodes at the same moment counts once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryLeaderboardStore } from '../../../server/store/memory-store.ts';
import { openPgLeaderboardStore } from '../../../server/store/pg-store.ts';
import { SqliteLeaderboardStore } from '../../../server/store/sqlite-store.ts';
import type { GameRecord, LeaderboardStore } from '../../../server/store/types.ts';
import { LEADERBOARD_PERIODS } from '../../../shared/protocol.ts';
import { dropTestSchema, newTestSchema, TEST_DATABASE_URL } from '../../helpers/pg.ts';

const NOW = Date.UTC(2026, 10, 27, 12);
const NODES = 4;

/** Deterministic pseudo-random games: 12 players, 1–5 rounds, finished over the last 10 days. */
function makeGames(count: number): GameRecord[] {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: count }, (_, i) => {
    const rounds = 1 + Math.floor(rnd() * 5);
    const finishedAt = NOW - Math.floor(rnd() * 10 * 24 * 3600_000);
    const ids = new Set<number>();
    const n = 2 + Math.floor(rnd() * 4);
    while (ids.size < n) ids.add(Math.floor(rnd() * 12));
    return {
      id: `game-${i}`,
      roomCode: 'ABCDE',
      startedAt: finishedAt - rounds * 20_000,
      finishedAt,
      rounds,
      settings: { rounds, roundSeconds: 10, emotions: ['happy'] },
      // Ranked as the core decides it (players from several addresses scored); one address per player.
      ranked: rounds >= 3,
      players: [...ids].map((p) => ({
        addressKey: `address-${p}`,
        playerId: `player-${String(p).padStart(2, '0')}`,
        nickname: `Name${p}-${i % 3}`,
        score: Math.floor(rnd() * rounds * 1100),
        perEmotionBest: { happy: rnd() },
      })),
    };
  });
}

const persistent: [string, () => Promise<{ open: () => Promise<LeaderboardStore>; cleanup: () => Promise<void> }>][] = [
  [
    'sqlite (several connections to one file)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'arena-concurrent-'));
      return {
        open: async () => new SqliteLeaderboardStore(join(dir, 'leaderboard.sqlite')),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'postgres (several pools, as several nodes)',
    async () => {
      const schema = newTestSchema('concurrent');
      return {
        open: () => openPgLeaderboardStore({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 3 }),
        cleanup: () => dropTestSchema(schema),
      };
    },
  ],
];

describe.each(persistent)('concurrent writers: %s', (_name, setup) => {
  it('rank the same as one store fed the same games, and count a game saved twice once', async () => {
    const { open, cleanup } = await setup();
    const nodes: LeaderboardStore[] = [];
    try {
      // Opened one after another: the first runs the migrations (the others find them applied).
      for (let i = 0; i < NODES; i++) nodes.push(await open());
      const games = makeGames(80);
      // Every node saves its share at once; each game is also saved by a second node (a retried save).
      await Promise.all(games.flatMap((g, i) => [nodes[i % NODES]?.saveGame(g), nodes[(i + 1) % NODES]?.saveGame(g)]));
      const reference = new MemoryLeaderboardStore();
      for (const g of games) await reference.saveGame(g);
      for (const period of LEADERBOARD_PERIODS) {
        const expected = await reference.leaderboard({ period, limit: 50, now: NOW });
        expect(expected.length).toBeGreaterThan(0);
        for (const node of nodes) {
          expect(await node.leaderboard({ period, limit: 50, now: NOW })).toEqual(expected);
        }
      }
      expect(await nodes[3]?.getGame('game-7')).toEqual(await reference.getGame('game-7'));
    } finally {
      for (const n of nodes) await n.close();
      await cleanup();
    }
  });
});
