/**
 * No finished game is lost without someone knowing (issue 17, item 1): a damaged leaderboard
 * file stops the server with a message naming it; a store that fails while games are played
 * makes the final screen say "result not saved", /healthz say degraded (503), a metric count
 * the game, and the game wait in a bounded spool in DATA_DIR until the store is back.
 */
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logging.ts';
import { openSqliteLeaderboard } from '../../../server/store/create-store.ts';
import { GameSpool, SPOOL_FILE } from '../../../server/store/game-spool.ts';
import { SpooledStore } from '../../../server/store/spooled-store.ts';
import { StoreDamagedError } from '../../../server/store/sqlite-integrity.ts';
import { SqliteLeaderboardStore } from '../../../server/store/sqlite-store.ts';
import type { GameRecord, LeaderboardQuery, LeaderboardStore } from '../../../server/store/types.ts';
import type { FinalStandings, JoinResult } from '../../../shared/protocol.ts';
import {
  ask,
  connectBot,
  markerEngine,
  markerFrame,
  newToken,
  PlayerBot,
  startTestServer,
  waitFor,
} from '../../helpers/server-harness.ts';
import { startServerProcess } from '../../helpers/server-process.ts';

function record(id: string, players = 2): GameRecord {
  return {
    id,
    roomCode: 'ABCDE',
    startedAt: 1_000,
    finishedAt: 60_000,
    rounds: 3,
    settings: { rounds: 3, roundSeconds: 10, emotions: ['happy'] },
    players: Array.from({ length: players }, (_, i) => ({
      playerId: `p${i}-${id}`,
      nickname: `Player ${i}`,
      score: 1000 + i,
      perEmotionBest: { happy: 0.8 },
    })),
  };
}

/** A leaderboard file with pages overwritten after the header, as the hostile-client run did. */
async function makeDamagedLeaderboard(): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'arena-damaged-')), 'leaderboard.sqlite');
  const store = new SqliteLeaderboardStore(file);
  for (let i = 0; i < 200; i++) await store.saveGame(record(`g${i}`, 4));
  await store.close();
  expect(statSync(file).size).toBeGreaterThan(5 * 4096);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 2 * 4096); // page 3 onwards: header (page 1) intact
  writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 4 * 4096);
  closeSync(fd);
  return file;
}

/** The real store, failing on demand like a damaged file or a dead database does. */
class FailingStore implements LeaderboardStore {
  readonly kind = 'sqlite';
  failing = false;
  constructor(readonly real: LeaderboardStore) {}
  private guard(): void {
    if (this.failing) throw new Error('database disk image is malformed');
  }
  async saveGame(g: GameRecord) {
    this.guard();
    return this.real.saveGame(g);
  }
  getGame(id: string) {
    return this.real.getGame(id);
  }
  leaderboard(q: LeaderboardQuery) {
    return this.real.leaderboard(q);
  }
  async check() {
    this.guard();
  }
  close() {
    return this.real.close();
  }
}

describe('a damaged leaderboard file', () => {
  it('is refused when opened, naming the file', async () => {
    const file = await makeDamagedLeaderboard();
    let error: unknown;
    try {
      openSqliteLeaderboard(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreDamagedError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/damaged/);
  });

  it('stops the server at start with a message naming the file', async () => {
    const file = await makeDamagedLeaderboard();
    const before = readFileSync(file);
    const run = await startServerProcess({ DATA_DIR: join(file, '..'), INFERENCE_WORKERS: '1' }, 240_000);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`the leaderboard database ${file} is damaged`);
    expect(run.output).not.toContain('emotion arena listening');
    expect(readFileSync(file).equals(before)).toBe(true); // nothing was changed
  }, 300_000); // starts the real server, which loads the model first: minutes on a busy machine
});

describe('a store that fails while games are played', () => {
  it('tells the players, reports degraded, counts and spools the game, then stores it once the store is back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'arena-spool-'));
    const failing = new FailingStore(new SqliteLeaderboardStore(join(dataDir, 'leaderboard.sqlite')));
    const store = new SpooledStore(failing, new GameSpool(join(dataDir, SPOOL_FILE)), {
      log: silentLogger(),
      retryMs: 200,
    });
    const server = await startTestServer({ engine: markerEngine(), store });
    try {
      const health0 = await fetch(`${server.url}/healthz`);
      expect(health0.status).toBe(200);
      expect(await health0.json()).toMatchObject({ status: 'ok', store: { status: 'ok', spooledGames: 0 } });

      failing.failing = true;
      const host = await connectBot(server.url);
      const created = await ask<JoinResult>(host, 'room:create', {
        nickname: 'Sav',
        playerToken: newToken('sav'),
        settings: { rounds: 1, roundSeconds: 1, emotions: ['happy'] },
      });
      if (!created.ok) throw new Error(created.error.message);
      const bot = new PlayerBot(host, (_p, n) => markerFrame(3, n));
      bot.start();
      const finalP = waitFor(host, 'game:final');
      expect((await ask(host, 'game:start')).ok).toBe(true);
      const final = (await finalP) as FinalStandings;
      bot.stop();
      expect(final.notSaved).toMatch(/leaderboard is unavailable.*will be added when it is back/);

      // A player who rejoins sees the same final screen.
      const again = await ask<JoinResult>(host, 'room:join', {
        code: created.data.state.code,
        nickname: 'Sav',
        playerToken: newToken('other'),
      });
      if (again.ok) expect(again.data.final?.notSaved).toBe(final.notSaved);

      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: 'degraded',
        store: { status: 'degraded', reason: expect.stringMatching(/malformed/), spooledGames: 1 },
      });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/emotion_arena_games_unsaved_total 1\b/);
      const spooled = readFileSync(join(dataDir, SPOOL_FILE), 'utf8').trim().split('\n');
      expect(spooled).toHaveLength(1);
      expect(JSON.parse(spooled[0] as string)).toMatchObject({ id: final.gameId });
      expect(await failing.real.getGame(final.gameId)).toBeNull();

      failing.failing = false; // the store is back: the retry stores the game
      await expect
        .poll(async () => (await fetch(`${server.url}/healthz`)).status, { timeout: 10_000, interval: 100 })
        .toBe(200);
      expect((await failing.real.getGame(final.gameId))?.players[0]?.nickname).toBe('Sav');
      expect(existsSync(join(dataDir, SPOOL_FILE))).toBe(false);
      host.disconnect();
    } finally {
      await server.close();
    }
  });

  it('replays a spool left by an earlier run at start, skipping a torn last line', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'arena-spool-'));
    const spoolFile = join(dataDir, SPOOL_FILE);
    writeFileSync(spoolFile, `${JSON.stringify(record('a'))}\n${JSON.stringify(record('b'))}\n{"id":"c","room`);
    const real = new SqliteLeaderboardStore(join(dataDir, 'leaderboard.sqlite'));
    const store = new SpooledStore(real, new GameSpool(spoolFile), { log: silentLogger(), retryMs: 100 });
    try {
      await store.replay();
      expect(store.health()).toEqual({ status: 'ok', spooledGames: 0 });
      expect((await real.getGame('a'))?.id).toBe('a');
      expect((await real.getGame('b'))?.id).toBe('b');
      expect(existsSync(spoolFile)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('bounds the spool and says when a game is lost because it is full', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'arena-spool-'));
    const failing = new FailingStore(new SqliteLeaderboardStore(join(dataDir, 'leaderboard.sqlite')));
    failing.failing = true;
    const store = new SpooledStore(
      failing,
      new GameSpool(join(dataDir, SPOOL_FILE), { maxGames: 2, maxBytes: 1 << 20 }),
      { log: silentLogger(), retryMs: 60_000 },
    );
    try {
      const outcomes = [];
      for (const id of ['x1', 'x2', 'x3']) outcomes.push(await store.save(record(id)));
      expect(outcomes.map((o) => (o.saved ? 'saved' : o.spooled ? 'spooled' : 'lost'))).toEqual([
        'spooled',
        'spooled',
        'lost',
      ]);
      const lost = outcomes[2];
      if (lost && !lost.saved) expect(lost.reason).toMatch(/backlog is full/);
      expect(store.health()).toMatchObject({ status: 'degraded', spooledGames: 2 });
      expect(readFileSync(join(dataDir, SPOOL_FILE), 'utf8').trim().split('\n')).toHaveLength(2);
    } finally {
      await store.close();
    }
  });
});
