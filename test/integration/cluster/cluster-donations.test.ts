/**
 * Frame donation in cluster mode, on the machine's Redis and PostgreSQL: a room runs on node B,
 * most of its players are connected to node A. Consent belongs to the player's connection (on A);
 * A's gateway forwards it to B, which collects and stores the crops in the shared PostgreSQL table.
 * The table is then inspected directly: only consenting players' crops, collected by the owner,
 * with exactly the single-node fields; deletion works from a node that does not own the room.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETE_INCOMPLETE_MESSAGE } from '../../../server/cluster/gateway.ts';
import { donorIdFromToken } from '../../../server/donations/donor-id.ts';
import { publicIdFromToken } from '../../../server/game/player-id.ts';
import { EMOTIONS, type Emotion, emotionId } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import type { FinalStandings, JoinResult, RoundResults } from '../../../shared/protocol.ts';
import { dropTestSchema, newTestSchema, TEST_DATABASE_URL } from '../../helpers/pg.ts';
import {
  ask,
  type Bot,
  connectBot,
  markerEngine,
  markerFrame,
  newToken,
  PlayerBot,
  waitFor,
} from '../../helpers/server-harness.ts';
import { type InProcessNode, newTestPrefix, redisClient, startInProcessNode } from './cluster-support.ts';

const ROUNDS = 2;
const schema = newTestSchema('cdonate');
const prefix = newTestPrefix('donations');

/** What a single-node donation row holds (test/integration/donations/donations-game.test.ts), and no more. */
const SINGLE_NODE_COLUMNS = [
  'donated_at',
  'donor_id',
  'id',
  'model_version',
  'ms_into_round',
  'pixels',
  'probabilities_json',
  'prompt',
];

interface Seat {
  name: string;
  token: string;
  socket: Bot;
  playerId: string;
  bot: PlayerBot;
  /** Every frame this seat sent, base64: a stored crop is traced back to its sender. */
  sent: Set<string>;
}

/** Frames the marker engine reads as the prompt, with byte 1 naming the sender. */
function framesOf(tag: number, sent: Set<string>) {
  return (prompt: Emotion, n: number): Uint8Array => {
    const f = markerFrame(emotionId(prompt), n);
    f[1] = tag;
    sent.add(Buffer.from(f).toString('base64'));
    return f;
  };
}

let tags = 0;
/** A bot connected to `url`, in no room yet. */
async function connectSeat(url: string, name: string): Promise<Seat> {
  const socket = await connectBot(url);
  const token = newToken(name);
  const sent = new Set<string>();
  const bot = new PlayerBot(socket, framesOf(++tags, sent));
  return { name, token, socket, playerId: publicIdFromToken(token), bot, sent };
}

async function create(s: Seat, settings = { rounds: ROUNDS, roundSeconds: 2 }): Promise<string> {
  const r = await ask<JoinResult>(s.socket, 'room:create', { nickname: s.name, playerToken: s.token, settings });
  if (!r.ok) throw new Error(`${s.name} could not create a room: ${r.error.message}`);
  return r.data.state.code;
}

async function join(s: Seat, code: string, payload: object = {}): Promise<void> {
  const r = await ask<JoinResult>(s.socket, 'room:join', { code, nickname: s.name, playerToken: s.token, ...payload });
  if (!r.ok) throw new Error(`${s.name} could not join: ${r.error.message}`);
}

async function consent(s: Seat, on: boolean): Promise<void> {
  const r = await ask<{ donating: boolean; donorId: string | null }>(s.socket, 'donation:consent', {
    playerToken: s.token,
    consent: on,
  });
  expect(r).toEqual({ ok: true, data: { donating: on, donorId: on ? donorIdFromToken(s.token) : null } });
}

async function tableRows(): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(`SELECT * FROM ${schema}.donated_crops ORDER BY id`)).rows;
  } finally {
    await client.end();
  }
}

const donorOf = (s: Seat) => donorIdFromToken(s.token);

describe('donations when the room runs on another node', () => {
  let a: InProcessNode;
  let b: InProcessNode;
  const seats: Record<string, Seat> = {};
  /** On B, the owner: consents after creating, as a player does on a single node. */
  let host: Seat;
  /** On A: consents before joining (the owner learns it with the forwarded join). */
  let early: Seat;
  /** On A: joins, then consents in the lobby (forwarded as it happens). */
  let late: Seat;
  /** On A: never consents. */
  let keeper: Seat;
  /** On A: consents before joining, withdraws during round 1 (after the owner saw frames of it). */
  let withdrawer: Seat;
  /** On A: never consents; sends forged consents naming the others. */
  let forger: Seat;
  let code: string;
  const prompts: Emotion[] = [];
  const forgedAnswers: unknown[] = [];
  let withdrawnInRound = 0;

  beforeAll(async () => {
    const node = (id: string) =>
      startInProcessNode({
        engine: markerEngine(),
        prefix,
        schema,
        nodeId: id,
        // Each node records its own model version: a row names the node that collected it.
        donations: { modelVersion: `marker/${id}@0` },
      });
    a = await node('node-a');
    b = await node('node-b');
    host = await connectSeat(b.url, 'Host');
    code = await create(host);
    await consent(host, true);
    early = await connectSeat(a.url, 'Early');
    late = await connectSeat(a.url, 'Late');
    keeper = await connectSeat(a.url, 'Keeper');
    withdrawer = await connectSeat(a.url, 'Withdrawer');
    forger = await connectSeat(a.url, 'Forger');
    Object.assign(seats, { host, early, late, keeper, withdrawer, forger });

    await consent(early, true);
    await consent(withdrawer, true);
    await join(early, code);
    await join(withdrawer, code);
    await join(late, code);
    await join(keeper, code);
    // The forger's join carries consent-looking fields, for itself and for the keeper: the owner
    // learns consent from the gateway's own record of the connection, never from a join's payload.
    await join(forger, code, {
      consent: true,
      donate: true,
      donation: { playerToken: keeper.token, consent: true },
      'donation:consent': { playerToken: forger.token, consent: true },
    });
    await consent(late, true);

    // Forged consents from the forger's connection, each naming another player.
    const forged: [string, ...unknown[]][] = [
      // Fields naming the keeper's seat or socket, without a token: refused.
      [
        'donation:consent',
        { consent: true, playerId: keeper.playerId, socketId: keeper.socket.id, sid: keeper.socket.id },
      ],
      // A forged withdrawal for a donor: it is the forger's own (it withdraws nothing of the donor's).
      [
        'donation:consent',
        { playerToken: forger.token, consent: false, socketId: early.socket.id, sid: early.socket.id },
      ],
      // Cluster messages as client events: nothing forwards them.
      [
        'event',
        {
          t: 'event',
          gw: 'node-a',
          sid: keeper.socket.id,
          ev: 'donation:consent',
          args: [{ playerToken: forger.token, consent: true }],
          ack: null,
          hs: { address: '127.0.0.1', headers: {} },
        },
      ],
      ['consent', { sid: keeper.socket.id, playerToken: keeper.playerId, consent: true }],
    ];
    for (const [event, ...args] of forged) {
      forgedAnswers.push(await Promise.race([ask(forger.socket, event, ...args), sleep(1500).then(() => 'no answer')]));
    }

    host.socket.on('round:results', (r: RoundResults) => void prompts.push(r.prompt));
    const all = Object.values(seats);
    for (const s of all) s.bot.start();
    const finals = all.map((s) => waitFor(s.socket, 'game:final', () => true, 60_000) as Promise<FinalStandings>);
    // Withdraws once the owner scored some of its frames in round 1.
    const withdrawn = (async () => {
      while (withdrawer.bot.resultsReceived < 3) await sleep(50);
      await consent(withdrawer, false);
      withdrawnInRound = prompts.length + 1;
    })();
    expect((await ask(host.socket, 'game:start')).ok).toBe(true);
    await Promise.all(finals);
    await withdrawn;
    for (const s of all) s.bot.stop();
    await b.donations?.flush();
    await a.donations?.flush();
  }, 90_000);

  afterAll(async () => {
    for (const s of Object.values(seats)) s.socket.close();
    await a?.close();
    await b?.close();
    await dropTestSchema(schema);
  });

  it('stores the consenting players’ crops, collected by the owner, whichever node they are connected to', async () => {
    const rows = await tableRows();
    const donors = new Set(rows.map((r) => r.donor_id));
    expect(donors).toEqual(new Set([donorOf(host), donorOf(early), donorOf(late)]));
    // The owner (B) collected every crop, also those of players connected to A; A stored nothing of its own.
    expect(new Set(rows.map((r) => r.model_version))).toEqual(new Set(['marker/node-b@0']));
    expect(a.donations?.stats.written).toBe(0);
    // Every consenting player donated in each round (one early crop and the peak's: 2 to 6 a round).
    expect(prompts).toHaveLength(ROUNDS);
    for (const s of [host, early, late]) {
      const mine = rows.filter((r) => r.donor_id === donorOf(s));
      expect(mine.length, s.name).toBeGreaterThanOrEqual(2 * ROUNDS);
      expect(mine.length, s.name).toBeLessThanOrEqual(6 * ROUNDS);
      // Each crop is one this player sent: no one else's pixels under their donor id.
      for (const r of mine) expect(s.sent.has((r.pixels as Buffer).toString('base64')), s.name).toBe(true);
    }
  });

  it('stores nothing of the player who never consented, of the forger, or of the one who withdrew mid-game', async () => {
    const rows = await tableRows();
    const pixels = new Set(rows.map((r) => (r.pixels as Buffer).toString('base64')));
    expect(withdrawnInRound).toBe(1);
    for (const s of [keeper, forger, withdrawer]) {
      expect(s.bot.resultsReceived, `${s.name} played`).toBeGreaterThan(0);
      expect(
        [...s.sent].filter((p) => pixels.has(p)),
        s.name,
      ).toEqual([]);
      expect(
        rows.some((r) => r.donor_id === donorOf(s)),
        s.name,
      ).toBe(false);
    }
  });

  it('refuses the forged consents; none names another connection', () => {
    expect(forgedAnswers).toEqual([
      {
        ok: false,
        error: { code: 'INVALID_PAYLOAD', message: 'playerToken must be 16–64 characters of A-Z a-z 0-9 _ -' },
      },
      // Valid, and about the forger only: it was not donating and still is not.
      { ok: true, data: { donating: false, donorId: null } },
      expect.anything(),
      expect.anything(),
    ]);
    // Unknown events are never acknowledged as done.
    for (const answer of forgedAnswers.slice(2)) expect(answer).not.toMatchObject({ ok: true });
  });

  it('stores exactly the single-node fields, and no nickname, token, player id, address or room', async () => {
    const rows = await tableRows();
    expect(rows.length).toBeGreaterThan(0);
    const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(SINGLE_NODE_COLUMNS);
      expect(EMOTIONS).toContain(r.prompt);
      expect(prompts).toContain(r.prompt);
      expect((r.pixels as Buffer).byteLength).toBe(FRAME_BYTES);
      const probs = r.probabilities_json as number[];
      expect(probs).toHaveLength(7);
      expect(probs[emotionId(r.prompt as Emotion)]).toBeCloseTo(0.9, 3);
      expect(Number(r.ms_into_round)).toBeGreaterThanOrEqual(0);
      expect(Number(r.ms_into_round)).toBeLessThanOrEqual(2_500);
      expect([today, today - 86_400_000]).toContain(Number(r.donated_at));
    }
    const dump = JSON.stringify(rows.map((r) => ({ ...r, pixels: null })));
    for (const s of Object.values(seats)) {
      expect(dump).not.toContain(s.name);
      expect(dump).not.toContain(s.token);
      expect(dump).not.toContain(s.playerId);
      expect(dump).not.toContain(s.socket.id as string);
    }
    for (const text of ['127.0.0.1', code, 'node-a', 'node-b"']) expect(dump).not.toContain(text);
  });

  it('deletes exactly one donor’s rows when asked from a node that does not own the room', async () => {
    const before = await tableRows();
    const mine = before.filter((r) => r.donor_id === donorOf(early)).length;
    expect(mine).toBeGreaterThan(0);
    // A fresh connection to A, in no room (the home screen's button), with the donor's token.
    const home = await connectBot(a.url);
    try {
      const r = await ask<{ deleted: number }>(home, 'donation:delete', { playerToken: early.token });
      expect(r).toEqual({ ok: true, data: { deleted: mine } });
    } finally {
      home.close();
    }
    const after = await tableRows();
    expect(after.map((x) => x.id)).toEqual(before.filter((x) => x.donor_id !== donorOf(early)).map((x) => x.id));
  });

  it('deletes through the owner when the donor is still in its room there, and says how many', async () => {
    const before = await tableRows();
    const mine = before.filter((r) => r.donor_id === donorOf(late)).length;
    expect(mine).toBeGreaterThan(0);
    const r = await ask<{ deleted: number }>(late.socket, 'donation:delete', { playerToken: late.token });
    expect(r).toEqual({ ok: true, data: { deleted: mine } });
    const after = await tableRows();
    expect(after.map((x) => x.id)).toEqual(before.filter((x) => x.donor_id !== donorOf(late)).map((x) => x.id));
    expect(new Set(after.map((x) => x.donor_id))).toEqual(new Set([donorOf(host)]));
  });

  it('a donor who leaves a room mid-round and deletes at once, from another node, leaves nothing of that round', async () => {
    // The round's crops are still being collected on B when the player, back on the home screen, deletes through A.
    const owner = await connectSeat(b.url, 'Owner');
    const leaver = await connectSeat(a.url, 'Leaver');
    Object.assign(seats, { owner, leaver });
    const room = await create(owner, { rounds: 1, roundSeconds: 4 });
    await consent(leaver, true);
    await join(leaver, room);
    const final = waitFor(owner.socket, 'game:final', () => true, 30_000);
    owner.bot.start();
    leaver.bot.start();
    expect((await ask(owner.socket, 'game:start')).ok).toBe(true);
    while (leaver.bot.resultsReceived < 3) await sleep(50);
    leaver.bot.stop();
    expect((await ask(leaver.socket, 'room:leave')).ok).toBe(true);
    const r = await ask<{ deleted: number }>(leaver.socket, 'donation:delete', { playerToken: leaver.token });
    expect(r).toEqual({ ok: true, data: { deleted: 0 } });
    await final;
    owner.bot.stop();
    await b.donations?.flush();
    expect((await tableRows()).filter((x) => x.donor_id === donorOf(leaver))).toEqual([]);
  }, 30_000);

  it('tells the player to try again when a node does not answer the deletion, after deleting what it could', async () => {
    // A node registered in Redis that reads no messages (hung, or dead and not yet expired).
    const redis = await redisClient();
    const ghost = 'node-ghost';
    const info = { id: ghost, draining: false, rooms: 0, connections: 0, startedAt: Date.now() };
    await redis.set(`${prefix}node:${ghost}`, JSON.stringify(info), 'PX', 30_000);
    await redis.zadd(`${prefix}nodes`, Date.now() + 30_000, ghost);
    try {
      expect((await tableRows()).some((x) => x.donor_id === donorOf(host))).toBe(true);
      const r = await ask(host.socket, 'donation:delete', { playerToken: host.token });
      expect(r).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: DELETE_INCOMPLETE_MESSAGE } });
      expect(DELETE_INCOMPLETE_MESSAGE).toMatch(/try again/);
      // The nodes that answered deleted everything they held and everything in the table.
      expect((await tableRows()).filter((x) => x.donor_id === donorOf(host))).toEqual([]);
    } finally {
      await redis.del(`${prefix}node:${ghost}`);
      await redis.zrem(`${prefix}nodes`, ghost);
      redis.disconnect();
    }
  }, 30_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
