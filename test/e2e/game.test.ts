/**
 * Two (or ARENA_E2E_PLAYERS=3) browser players with fake cameras showing smiling faces create
 * and join one room (by code and by invite link), play a short game prompting HAPPY, each
 * scores > 0 with the shipped model, and the leaderboard lists them with their scores.
 * Needs a trained model in models/emotion or models/seed: a stand-in engine cannot judge
 * real faces, so without one the test is skipped (loudly), never faked.
 */
import { describe, expect, it } from 'vitest';
import type { FinalStandings } from '../../shared/protocol.ts';
import type { DemoFace } from '../helpers/y4m.ts';
import { shippedModelDir } from '../integration/server/harness.ts';
import { configureGame, createRoom, openHome, waitForFace } from './flows.ts';
import { hook, type Player, setUpE2ESuite, shot, waitForScene } from './support.ts';

const PLAYERS = Math.min(3, Math.max(2, Number(process.env.ARENA_E2E_PLAYERS ?? 2)));
const FACES: DemoFace[] = ['sample1Right', 'sample3Right', 'sample6Right'];
const NAMES = ['Ada', 'Bo', 'Cy'];
const hasModel = shippedModelDir() !== null;
/**
 * ARENA_E2E_FLOW_ONLY=1 runs the same UI flow on the marker engine before a model exists; it then
 * says so in its title and does not assert scores (the marker engine cannot judge faces).
 */
const flowOnly = !hasModel && process.env.ARENA_E2E_FLOW_ONLY === '1';
if (!hasModel && !flowOnly) console.warn('game.test: SKIPPED: no trained model in models/emotion or models/seed');

describe.skipIf(!hasModel && !flowOnly)(
  flowOnly ? 'game UI flow (marker engine: scores NOT judged)' : 'full game with real browsers and the shipped model',
  () => {
    // Results scenes stay up long enough to be seen (and screenshotted).
    const suite = setUpE2ESuite('game', {
      allowMarker: flowOnly,
      timings: { roundResultsMs: 2500, finalResultsMs: 30_000 },
      players: FACES.slice(0, PLAYERS).map((face, i) => ({ face, name: NAMES[i]!.toLowerCase() })),
    });
    const { dir, players } = suite;

    it(`${PLAYERS} players play a game${flowOnly ? '' : ', all score,'} and appear on the leaderboard`, async () => {
      const [host, ...guests] = players as [Player, ...Player[]];
      await openHome(host.page, suite.srv.server.url);
      await shot(host.page, dir, '01-home');
      const code = await createRoom(host.page, NAMES[0]!);
      for (const [i, g] of guests.entries()) {
        // Join by invite link: the code is prefilled and Enter in the nickname field joins.
        await openHome(g.page, suite.srv.server.url, `?room=${code}`);
        if (i === 0) await shot(g.page, dir, '02-home-join-link');
        await g.page.fill('#nickname', NAMES[i + 1]!);
        await g.page.press('#nickname', 'Enter');
        await waitForScene(g.page, 'Lobby');
      }
      await host.page.waitForFunction((n) => window.__arena?.room?.players.length === n, PLAYERS);
      for (const p of players) await waitForFace(p.page);
      await configureGame(host.page, { rounds: 3, roundSeconds: 5, emotions: ['happy'] });
      await shot(host.page, dir, '03-lobby-host');
      await shot(guests[0]!.page, dir, '04-lobby-guest');

      await host.page.click('#start-game');
      for (const p of players) await waitForScene(p.page, 'Round');
      await shot(host.page, dir, '05-countdown');
      await host.page.waitForFunction(() => window.__arena?.room?.phase === 'round', undefined, { timeout: 30_000 });
      await host.page.waitForTimeout(3000);
      await shot(host.page, dir, '06-round');
      await shot(guests[0]!.page, dir, '07-round-guest');
      await waitForScene(host.page, 'RoundResults', 30_000);
      await shot(host.page, dir, '08-round-results');

      for (const p of players) await waitForScene(p.page, 'Final', 90_000);
      await shot(host.page, dir, '09-final');
      const hostView = await hook(host.page);
      const standings: FinalStandings = hostView.final!;
      expect(standings.entries).toHaveLength(PLAYERS);
      const final = standings.entries.map((e) => ({ nickname: e.nickname, score: e.totalScore }));
      const perPlayer = await Promise.all(players.map((p) => hook(p.page)));
      for (const h of perPlayer) {
        expect(h.capture!.framesSent).toBeGreaterThan(10);
        console.log(
          `${h.self?.playerId}: backend ${h.detector?.backend}, detect ${h.capture?.detectFps}/s, send ${h.capture?.sendFps}/s, sent ${h.capture?.framesSent}`,
        );
      }
      console.log('final standings:', JSON.stringify(standings.entries));
      // The real model sees smiling faces while HAPPY is prompted: every player scores.
      if (!flowOnly) for (const p of final) expect(p.score, `${p.nickname} scored`).toBeGreaterThan(0);

      await host.page.click('#final-leaderboard');
      await waitForScene(host.page, 'Leaderboard');
      await host.page.waitForSelector('#leaderboard-table tbody tr');
      await shot(host.page, dir, '10-leaderboard');
      const rows = await host.page.$$eval('#leaderboard-table tbody tr', (trs) =>
        trs.map((tr) => ({
          nick: tr.querySelector('.nick')?.textContent ?? '',
          points: Number(tr.querySelector('.points')?.textContent ?? 'NaN'),
        })),
      );
      for (const p of final) {
        const row = rows.find((r) => r.nick === p.nickname);
        expect(row, `${p.nickname} on the leaderboard`).toBeDefined();
        expect(row!.points).toBe(p.score);
      }
      // The other periods list today's game too.
      await host.page.click('#tab-day');
      await host.page.waitForFunction(
        (n) =>
          (window.__arena?.leaderboard?.length ?? 0) >= n &&
          document.querySelector('#tab-day')?.getAttribute('aria-selected') === 'true',
        PLAYERS,
      );
    });
  },
);
