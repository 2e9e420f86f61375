/**
 * Bots with and without consent play a real game against a real server; the donation table
 * is then inspected directly: only the consenting player's crops, with exactly the promised
 * fields; deletion by token removes exactly that donor's rows; the export is FER2013 layout
 * that the project's own reader accepts; the operator's CLI deletes by donor id.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as donationsCli } from '../../../server/donations/cli.ts';
import { Donations } from '../../../server/donations/donations.ts';
import { donorIdFromToken } from '../../../server/donations/donor-id.ts';
import { isValidationDonor } from '../../../server/donations/split.ts';
import { createSystemClock } from '../../../server/game/clock.ts';
import { publicIdFromToken } from '../../../server/game/player-id.ts';
import { silentLogger } from '../../../server/logging.ts';
import { SqliteDonationStore } from '../../../server/store/donation-sqlite-store.ts';
import { EMOTIONS, type Emotion, emotionId } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import type { FinalStandings, JoinResult, RoundResults } from '../../../shared/protocol.ts';
import { readFer2013 } from '../../../training/data/fer2013-reader.ts';
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

const ROUNDS = 2;

interface Seat {
  token: string;
  nickname: string;
  socket: Bot;
  bot: PlayerBot | null;
  code: string;
}

async function seat(server: TestServer, nickname: string, code: string | null, role?: 'spectator'): Promise<Seat> {
  const token = newToken(nickname);
  const socket = await connectBot(server.url);
  const r = code
    ? await ask<JoinResult>(socket, 'room:join', { code, nickname, playerToken: token, ...(role ? { role } : {}) })
    : await ask<JoinResult>(socket, 'room:create', {
        nickname,
        playerToken: token,
        settings: { rounds: ROUNDS, roundSeconds: 2 },
      });
  if (!r.ok) throw new Error(`${nickname} could not join: ${r.error.message}`);
  // Show the prompt every frame: the marker engine reads byte 0 as the emotion.
  const bot = role ? null : new PlayerBot(socket, (prompt, n) => markerFrame(emotionId(prompt), n));
  return { token, nickname, socket, bot, code: r.data.state.code };
}

async function consent(s: Seat, on: boolean): Promise<string | null> {
  const r = await ask<{ donating: boolean; donorId: string | null }>(s.socket, 'donation:consent', {
    playerToken: s.token,
    consent: on,
  });
  if (!r.ok) throw new Error(r.error.message);
  expect(r.data.donating).toBe(on);
  return r.data.donorId;
}

function tableRows(dbFile: string): Record<string, unknown>[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare('SELECT * FROM donated_crops ORDER BY id').all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  });
  try {
    const code = await donationsCli(args, {});
    return { code, out: out.join('\n'), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('a game with donating and non-donating players', () => {
  let server: TestServer;
  let donations: Donations;
  let dbFile: string;
  let donor: Seat;
  let other: Seat;
  let second: Seat;
  let watcher: Seat;
  const prompts: Emotion[] = [];
  const sentByDonor = new Set<string>();

  beforeAll(async () => {
    dbFile = join(mkdtempSync(join(tmpdir(), 'donations-it-')), 'leaderboard.sqlite');
    donations = new Donations({
      store: new SqliteDonationStore(dbFile),
      clock: createSystemClock(),
      log: silentLogger(),
      modelVersion: () => 'marker/test@0',
    });
    server = await startTestServer({ engine: markerEngine(), dbFile, donations });
    donor = await seat(server, 'Donor', null);
    const code = donor.code;
    other = await seat(server, 'Keeper', code);
    second = await seat(server, 'Second', code);
    watcher = await seat(server, 'Watcher', code, 'spectator');
    expect(await consent(donor, true)).toBe(donorIdFromToken(donor.token));
    await consent(second, true);
    await consent(watcher, true);
    // Keeper never consents; Second consents and withdraws: neither donates.
    await consent(second, false);
    // Remember every crop the donor sends, to compare with what was stored.
    const pick = (prompt: Emotion, n: number) => {
      const f = markerFrame(emotionId(prompt), n);
      sentByDonor.add(Buffer.from(f).toString('base64'));
      return f;
    };
    donor.bot = new PlayerBot(donor.socket, pick);
    donor.socket.on('round:results', (r: RoundResults) => void prompts.push(r.prompt));
    for (const s of [donor, other, second]) s.bot?.start();
    const final = waitFor(donor.socket, 'game:final', () => true, 60_000) as Promise<FinalStandings>;
    const started = await ask(donor.socket, 'game:start');
    expect(started.ok).toBe(true);
    await final;
    for (const s of [donor, other, second]) s.bot?.stop();
    await donations.flush();
  }, 90_000);

  afterAll(async () => {
    for (const s of [donor, other, second, watcher]) s?.socket.close();
    await server?.close();
    await donations?.close();
    await donations?.store.close();
  });

  it('stores crops of the consenting player only, under a donor id that is not the player id', () => {
    const rows = tableRows(dbFile);
    expect(rows.length).toBeGreaterThan(0);
    const donorId = donorIdFromToken(donor.token);
    expect(new Set(rows.map((r) => r.donor_id))).toEqual(new Set([donorId]));
    expect(donorId).not.toBe(publicIdFromToken(donor.token));
  });

  it('keeps per round at most 5 crops around the peak plus one early crop, each with exactly the promised fields', () => {
    const rows = tableRows(dbFile);
    expect(Object.keys(rows[0] as object).sort()).toEqual(
      [
        'donated_at',
        'donor_id',
        'id',
        'ms_into_round',
        'model_version',
        'pixels',
        'probabilities_json',
        'prompt',
      ].sort(),
    );
    expect(prompts).toHaveLength(ROUNDS);
    for (const prompt of new Set(prompts)) {
      const n = rows.filter((r) => r.prompt === prompt).length;
      const rounds = prompts.filter((p) => p === prompt).length;
      expect(n).toBeGreaterThanOrEqual(rounds * 2);
      expect(n).toBeLessThanOrEqual(rounds * 6);
    }
    const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    for (const r of rows) {
      expect(EMOTIONS).toContain(r.prompt);
      expect((r.pixels as Buffer).byteLength).toBe(FRAME_BYTES);
      expect(sentByDonor.has((r.pixels as Buffer).toString('base64'))).toBe(true);
      const probs = JSON.parse(r.probabilities_json as string) as number[];
      expect(probs).toHaveLength(7);
      expect(probs[emotionId(r.prompt as Emotion)]).toBeCloseTo(0.9, 3);
      expect(r.model_version).toBe('marker/test@0');
      expect(r.ms_into_round as number).toBeGreaterThanOrEqual(0);
      expect(r.ms_into_round as number).toBeLessThanOrEqual(2_500);
      expect([today, today - 86_400_000]).toContain(r.donated_at);
    }
  });

  it('stores no nickname, token, address or room anywhere in the table', () => {
    const dump = JSON.stringify(tableRows(dbFile).map((r) => ({ ...r, pixels: null })));
    for (const s of [donor, other, second, watcher]) {
      expect(dump).not.toContain(s.nickname);
      expect(dump).not.toContain(s.token);
      expect(dump).not.toContain(publicIdFromToken(s.token));
    }
    expect(dump).not.toContain('127.0.0.1');
    const code = donor.code;
    expect(code).toMatch(/^[A-Z2-9]{5}$/);
    expect(dump).not.toContain(code);
  });

  it('exports a FER2013-layout file that the project reader accepts, split by donor', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'donations-export-')), 'donated.csv.gz');
    const r = await cli(['--db', dbFile, 'export', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rows = tableRows(dbFile);
    expect(r.out).toContain(`${rows.length} rows from 1 donors`);
    const data = await readFer2013(out);
    expect(data.count).toBe(rows.length);
    const usage = isValidationDonor(donorIdFromToken(donor.token)) ? 1 : 0; // USAGES: Training, PublicTest
    for (let i = 0; i < data.count; i++) {
      expect(data.labels[i]).toBe(emotionId(rows[i]?.prompt as Emotion));
      expect(data.usages[i]).toBe(usage);
      expect(Buffer.from(data.images.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES))).toEqual(rows[i]?.pixels);
    }
  });

  it('drops crops below --min-agreement and before --since', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'donations-export-'));
    const high = await cli(['--db', dbFile, 'export', '--out', join(dir, 'a.csv'), '--min-agreement', '0.95']);
    expect(high.code).toBe(0);
    expect(high.out).toMatch(/^wrote .*: 0 rows .* below --min-agreement 0\.95/);
    const future = await cli(['--db', dbFile, 'export', '--out', join(dir, 'b.csv'), '--since', '2999-01-01']);
    expect(future.out).toMatch(/: 0 rows/);
    expect((await readFer2013(join(dir, 'b.csv'))).count).toBe(0);
  });

  it('prints stats per emotion, donors and agreement', async () => {
    const r = await cli(['--db', dbFile, 'stats']);
    expect(r.code).toBe(0);
    const rows = tableRows(dbFile);
    expect(r.out).toContain(`donated crops: ${rows.length} from 1 donor`);
    expect(r.out).toMatch(/top emotion = prompt 100\.0%/);
    expect(r.out).toContain('marker/test@0');
  });

  it('deletes exactly the asking donor’s crops, and says how many', async () => {
    // A second donor plays alone, so there is someone else's data to keep.
    const solo = await seat(server, 'Solo', null);
    await consent(solo, true);
    const final = waitFor(solo.socket, 'game:final', () => true, 60_000);
    solo.bot?.start();
    await ask(solo.socket, 'room:settings', { rounds: 1, roundSeconds: 2 });
    expect((await ask(solo.socket, 'game:start')).ok).toBe(true);
    await final;
    solo.bot?.stop();
    await donations.flush();
    const before = tableRows(dbFile);
    const mine = before.filter((r) => r.donor_id === donorIdFromToken(donor.token)).length;
    const theirs = before.length - mine;
    expect(theirs).toBeGreaterThan(0);

    const r = await ask<{ deleted: number }>(donor.socket, 'donation:delete', { playerToken: donor.token });
    expect(r).toEqual({ ok: true, data: { deleted: mine } });
    const after = tableRows(dbFile);
    expect(after).toHaveLength(theirs);
    expect(after.every((x) => x.donor_id === donorIdFromToken(solo.token))).toBe(true);
    const again = await ask<{ deleted: number }>(donor.socket, 'donation:delete', { playerToken: donor.token });
    expect(again).toEqual({ ok: true, data: { deleted: 0 } });

    // The operator deletes by donor id.
    const op = await cli(['--db', dbFile, 'delete', '--donor', donorIdFromToken(solo.token)]);
    expect(op.code).toBe(0);
    expect(op.out).toBe(`deleted ${theirs} crops of donor ${donorIdFromToken(solo.token)}`);
    expect(tableRows(dbFile)).toHaveLength(0);
    solo.socket.close();
  }, 60_000);

  it('answers bad donation payloads with a clear error', async () => {
    const bad = await ask(donor.socket, 'donation:consent', { playerToken: 'short', consent: true });
    expect(bad).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'playerToken must be 16–64 characters of A-Z a-z 0-9 _ -' },
    });
    const notBool = await ask(donor.socket, 'donation:consent', { playerToken: donor.token, consent: 'yes' });
    expect(notBool.ok ? null : notBool.error.message).toBe('consent must be true or false');
    const none = await ask(donor.socket, 'donation:delete', null);
    expect(none.ok ? null : none.error.code).toBe('INVALID_PAYLOAD');
    // Whatever else arrives is refused the same way, and nothing is deleted or enabled by it.
    const junk: unknown[][] = [
      [],
      [undefined],
      [42],
      ['x'.repeat(10_000)],
      [[donor.token]],
      [{ playerToken: donor.token.repeat(3), consent: true }],
      [{ playerToken: 123, consent: true }],
      [{ playerToken: `${donor.token.slice(0, 20)}\u0000`, consent: true }],
      [Buffer.alloc(2304)],
    ];
    for (const args of junk) {
      for (const event of ['donation:consent', 'donation:delete']) {
        const r = await ask(second.socket, event, ...args);
        expect(r.ok, `${event} ${JSON.stringify(args).slice(0, 60)}`).toBe(false);
        expect(r.ok ? null : r.error.code).toBe('INVALID_PAYLOAD');
      }
    }
  });
});

describe('the donations CLI refuses bad input', () => {
  it.each([
    [['stats'], /no database at .*nowhere/],
    [['export'], /required option '--out <file>' not specified/],
    [['export', '--out', 'x.csv', '--min-agreement', '2'], /--min-agreement must be a number between 0 and 1/],
    [['export', '--out', 'x.csv', '--since', 'yesterday'], /--since must be a date like 2026-11-30/],
    [['delete', '--donor', 'not a donor'], /--donor must be a 16-character donor id/],
    [[], /Usage: donations \[options\] \[command\]/],
  ])('%j', async (args, message) => {
    const r = await cli(['--db', join(tmpdir(), 'nowhere', 'leaderboard.sqlite'), ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('says when the database has no donations table', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'donations-empty-')), 'leaderboard.sqlite');
    new Database(file).close();
    expect(existsSync(file)).toBe(true);
    const r = await cli(['--db', file, 'stats']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/has no donated_crops table/);
  });
});

describe('a server started without a donation store', () => {
  it('answers the donation events with UNAVAILABLE', async () => {
    const server = await startTestServer({ engine: markerEngine() });
    const s = await connectBot(server.url);
    try {
      const r = await ask(s, 'donation:consent', { playerToken: newToken('x'), consent: true });
      expect(r).toEqual({
        ok: false,
        error: { code: 'UNAVAILABLE', message: 'this server does not collect donations' },
      });
    } finally {
      s.close();
      await server.close();
    }
  });
});
