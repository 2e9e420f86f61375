/**
 * Frame donation in the browser, end to end: the opt-in is on the home screen, off by default,
 * remembered by this device; one consenting player plays a game; the donated crops are in the
 * table, export to a FER2013-layout file, retrain (smoke) reports the donated validation
 * accuracy, the operator's stats describe them, and the player's delete button removes them.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as donationsCli } from '../../server/donations/cli.ts';
import { Donations } from '../../server/donations/donations.ts';
import { donorIdFromToken } from '../../server/donations/donor-id.ts';
import { createSystemClock } from '../../server/game/clock.ts';
import { silentLogger } from '../../server/logging.ts';
import { createEmotionEngine } from '../../server/ml/engine/create-engine.ts';
import type { EmotionEngine } from '../../server/ml/engine/types.ts';
import { SqliteDonationStore } from '../../server/store/donation-sqlite-store.ts';
import { DONATION_CONSENT_TEXT } from '../../shared/donations.ts';
import { type Emotion, emotionId } from '../../shared/emotions.ts';
import { readFer2013, USAGES } from '../../training/data/fer2013-reader.ts';
import { main as retrain } from '../../training/retrain/cli.ts';
import {
  markerEngine,
  SHORT_TIMINGS,
  shippedModelDir,
  startTestServer,
  type TestServer,
} from '../helpers/server-harness.ts';
import { configureGame, createRoom, openHome, waitForFace } from './flows.ts';
import {
  ensureClientBuild,
  ensureTools,
  launchPlayer,
  type Player,
  ROOT,
  shot,
  waitForScene,
  workDir,
} from './support.ts';

const FIXTURE = path.join(ROOT, 'test/fixtures/fer2013-sample.csv');

async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const e = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const w = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  });
  try {
    return { value: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    o.mockRestore();
    e.mockRestore();
    w.mockRestore();
  }
}

function rows(dbFile: string): { donor_id: string; prompt: string }[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare('SELECT donor_id, prompt FROM donated_crops ORDER BY id').all() as {
      donor_id: string;
      prompt: string;
    }[];
  } finally {
    db.close();
  }
}

describe('frame donation in the browser', () => {
  const dir = workDir('donations');
  const dbFile = path.join(dir, 'leaderboard.sqlite');
  let engine: EmotionEngine;
  let donations: Donations;
  let server: TestServer;
  let player: Player;
  let token: string;

  beforeAll(async () => {
    ensureTools();
    ensureClientBuild();
    mkdirSync(dir, { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbFile}${suffix}`, { force: true });
    const modelDir = shippedModelDir();
    engine = modelDir ? await createEmotionEngine({ modelDir, workers: 1 }) : markerEngine();
    donations = new Donations({
      store: new SqliteDonationStore(dbFile),
      clock: createSystemClock(),
      log: silentLogger(),
      modelVersion: () => 'e2e-model',
    });
    server = await startTestServer({ engine, serveClient: true, timings: SHORT_TIMINGS, dbFile, donations });
    player = await launchPlayer({ face: 'happyPhoto', workDir: dir, name: 'donor' });
  }, 240_000);

  afterAll(async () => {
    await player?.close();
    await server?.close();
    await donations?.close();
    await donations?.store.close();
    await engine?.dispose();
  });

  it('shows the opt-in before a game, off by default, with the consent text and a privacy link', async () => {
    const { page } = player;
    await openHome(page, server.url);
    const box = page.locator('#donate-consent');
    await expect(box.isChecked()).resolves.toBe(false);
    const label = ((await page.locator('label.donate-consent').textContent()) ?? '').replace(/\s+/g, ' ').trim();
    expect(label).toBe(DONATION_CONSENT_TEXT);
    expect(await page.locator('#privacy-link').getAttribute('href')).toBe('/privacy');
    const policy = await (await fetch(`${server.url}/privacy`)).text();
    expect(policy).toContain('donor id');
    await shot(page, dir, 'home-opt-in-off');
  });

  it('remembers the choice on this device and tells the server again after a reload', async () => {
    const { page } = player;
    token = await page.evaluate(() => localStorage.getItem('emotion-arena:player-token') as string);
    const donor = donorIdFromToken(token);
    await page.locator('#donate-consent').check();
    await page.waitForFunction((d) => document.querySelector('#donate-status')?.textContent?.includes(d), donor);
    await page.reload();
    await waitForScene(page, 'Home');
    await expect(page.locator('#donate-consent').isChecked()).resolves.toBe(true);
    await page.waitForFunction((d) => document.querySelector('#donate-status')?.textContent?.includes(d), donor);
    await shot(page, dir, 'home-opt-in-on');
  });

  it('a game stores the consenting player’s crops; they export, retrain and show in stats', async () => {
    const { page } = player;
    await createRoom(page, 'Donor');
    await waitForFace(page);
    await configureGame(page, { rounds: 2, roundSeconds: 4, emotions: ['happy', 'sad'] });
    await page.click('#start-game');
    await waitForScene(page, 'Final', 120_000);
    await donations.flush();
    const stored = rows(dbFile);
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(stored.length).toBeLessThanOrEqual(12);
    expect(new Set(stored.map((r) => r.donor_id))).toEqual(new Set([donorIdFromToken(token)]));

    // One donor: make it the validation donor so the smoke retrain has donated validation rows.
    const exported = path.join(dir, 'donated.csv.gz');
    const ex = await quietly(() =>
      donationsCli(['--db', dbFile, 'export', '--out', exported, '--validation-fraction', '1'], {}),
    );
    expect(ex.err).toBe('');
    expect(ex.value).toBe(0);
    expect(ex.out).toContain(`${stored.length} rows from 1 donors`);
    const data = await readFer2013(exported);
    expect(data.count).toBe(stored.length);
    // Each row is labelled with the prompt it was donated under, all on the validation side (one donor, fraction 1).
    expect(Array.from(data.labels)).toEqual(stored.map((r) => emotionId(r.prompt as Emotion)));
    expect(new Set(data.usages)).toEqual(new Set([USAGES.indexOf('PublicTest')]));

    const stats = await quietly(() => donationsCli(['--db', dbFile, 'stats'], {}));
    expect(stats.value).toBe(0);
    expect(stats.out).toContain(`donated crops: ${stored.length} from 1 donor`);
    writeFileSync(path.join(dir, 'stats.txt'), `${stats.out}\n`);
    console.log(`npm run donations -- stats (after the browser session):\n${stats.out}`);

    const r = await quietly(() =>
      retrain([
        ...['--data', FIXTURE, '--data', exported, '--arch', 'vgg8', '--epochs', '1', '--batch', '32'],
        ...['--workers', '1', '--out', path.join(dir, 'model'), '--run-dir', path.join(dir, 'run'), '--no-progress'],
      ]),
    );
    expect(r.err).toBe('');
    expect(r.value).toBe(0);
    const line = r.out.split('\n').find((l) => l.startsWith('donated validation')) ?? '';
    expect(line).toMatch(new RegExp(`accuracy \\d+\\.\\d\\d% on ${stored.length} crops$`));
    console.log(`retrain smoke: ${line}`);
  }, 400_000);

  it('the delete button removes every donated crop and says how many', async () => {
    const { page } = player;
    const before = rows(dbFile).length;
    expect(before).toBeGreaterThan(0);
    // The final results have long given way to the lobby (short test timings): leave from there.
    await waitForScene(page, 'Lobby');
    await page.click('#leave-room');
    await waitForScene(page, 'Home');
    await page.click('#donate-delete');
    await page.waitForFunction(() =>
      /^Deleted \d+ donated crop/.test(document.querySelector('#donate-status')?.textContent ?? ''),
    );
    expect(await page.locator('#donate-status').textContent()).toBe(
      `Deleted ${before} donated crop${before === 1 ? '' : 's'}.`,
    );
    expect(rows(dbFile)).toHaveLength(0);
    await shot(page, dir, 'home-deleted');
    const stats = await quietly(() => donationsCli(['--db', dbFile, 'stats'], {}));
    expect(stats.out).toContain('donated crops: 0 from 0 donors');
    // Gone from every export made afterwards, too.
    const exported = path.join(dir, 'donated-after-delete.csv.gz');
    const ex = await quietly(() => donationsCli(['--db', dbFile, 'export', '--out', exported], {}));
    expect(ex.value).toBe(0);
    expect((await readFer2013(exported)).count).toBe(0);
  }, 60_000);
});
