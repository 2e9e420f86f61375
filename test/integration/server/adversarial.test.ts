/**
 * Cheaters against the real shipped model (issue 15): one "happy" room of 3 rounds with an
 * honest player and one bot per replay strategy, each from its own network address (through a
 * trusted proxy's X-Forwarded-For), all sending 5 frames per second over real sockets.
 *
 * The honest bot plays like a camera: a few happy FER2013 faces, one at a time for 2 s each (a
 * face changes expression slowly), every frame made by test/helpers/camera-like.ts (the face
 * drifts a few tenths of a pixel per frame, fresh sensor noise, slow light changes). The replay
 * bots send the same faces the cheap ways: still, still then silence, a bit flipped per frame,
 * noise or light changes per frame, two or three faces in turn, a short clip looped. A neutral
 * control plays honestly with neutral faces. The test prints points per round per strategy and
 * the leaderboard afterwards; it asserts that the honest bot beats every replay bot in every
 * round, that no replay bot gets more than 10% of its points, and that none is on a board.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmotionEngine, type ServedEngine } from '../../../server/ml/engine/create-engine.ts';
import { type Emotion, emotionId } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import type { FrameResult, JoinResult, LeaderboardEntry, RoomState, RoundResults } from '../../../shared/protocol.ts';
import { CameraLikeStream, gaussian, seededRandom } from '../../helpers/camera-like.ts';
import {
  ask,
  type Bot,
  connectBot,
  newToken,
  publicTestFaces,
  shippedModelDir,
  startTestServer,
  type TestServer,
  waitFor,
} from '../../helpers/server-harness.ts';

const ROUNDS = 3;
const ROUND_SECONDS = 8;
const modelDir = shippedModelDir();
if (!modelDir) {
  console.warn('adversarial.test: SKIPPED — no models/emotion; the replay table needs the real model');
}

/** What a strategy sends at `msIntoRound` as its `n`-th frame of the round; null sends nothing. */
type Strategy = (n: number, msIntoRound: number) => Uint8Array | null;

interface Faces {
  happy: Uint8Array[];
  neutral: Uint8Array[];
}

const asImage = (f: Uint8Array) => ({ pixels: f, width: 48, height: 48 });
const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** A live face: one face at a time for 2 s each, every frame camera-like. */
function honest(faces: Uint8Array[], seed: number): Strategy {
  const streams = faces.map((f, i) => new CameraLikeStream(asImage(f), { seed: seed + i }));
  return (_n, ms) => (streams[Math.floor(ms / 2000) % streams.length] as CameraLikeStream).next();
}

function strategies(faces: Faces): [string, string, Strategy][] {
  const [a, b, c] = faces.happy as [Uint8Array, Uint8Array, Uint8Array];
  const rand = seededRandom(99);
  const clip = (() => {
    const s = new CameraLikeStream(asImage(a), { seed: 7 });
    return Array.from({ length: 8 }, () => s.next());
  })();
  return [
    ['honest', 'several happy faces, camera-like, 2 s each', honest(faces.happy, 1)],
    ['still', 'one crop the whole round', () => a],
    ['still, then silence', 'one crop for 2.2 s, then nothing', (_n, ms) => (ms < 2200 ? a : null)],
    [
      'bit flip',
      'one crop, pixel 0 toggled each frame',
      (n) => {
        const f = Uint8Array.from(a);
        f[0] = ((f[0] as number) ^ (n % 2)) & 255;
        return f;
      },
    ],
    ['two in turn', 'A, B, A, B …', (n) => (n % 2 ? b : a)],
    ['three in turn', 'A, B, C, A …', (n) => [a, b, c][n % 3] as Uint8Array],
    [
      'still + noise',
      'one crop, fresh noise σ = 4 per pixel per frame',
      () => a.map((v) => clamp(v + 4 * gaussian(rand))),
    ],
    [
      'still + light',
      'one crop, brightness and contrast changing per frame',
      (n) => a.map((v) => clamp(128 + (v - 128) * (1 + 0.1 * Math.sin(n / 2)) + 12 * Math.cos(n / 3))),
    ],
    ['looped clip', 'a 1.6 s camera-like clip, looped', (n) => clip[n % clip.length] as Uint8Array],
    ['neutral (control)', 'neutral faces, camera-like (plays honestly)', honest(faces.neutral, 50)],
    // Not a cheap replay: one photo with synthesised camera motion. The server cannot tell it from
    // a camera (docs/scoring.md, threat model); shown in the table, not asserted.
    ['photo, moved', 'one crop with synthesised camera motion', honest([a], 80)],
  ];
}

const REPLAY_BOTS = [
  'still',
  'still, then silence',
  'bit flip',
  'two in turn',
  'three in turn',
  'still + noise',
  'still + light',
  'looped clip',
];

/** A nickname the rule accepts: letters and single spaces, at most 16 characters. */
function nicknameOf(name: string): string {
  return `Bot ${name
    .replace(/[^A-Za-z ]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()}`
    .slice(0, 16)
    .trim();
}

class StrategyBot {
  state: RoomState | null = null;
  roundStartedAt = 0;
  n = 0;
  sent = 0;
  /** Frames the server answered with a result (under load some are dropped as stale and never answered). */
  answered = 0;
  counted = 0;
  readonly replayFlags: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly name: string,
    readonly socket: Bot,
    private readonly strategy: Strategy,
  ) {
    socket.on('room:state', (s) => {
      if (s.phase === 'round' && this.state?.phase !== 'round') {
        this.roundStartedAt = performance.now() - (s.settings.roundSeconds * 1000 - (s.round?.timeLeftMs ?? 0));
        this.n = 0;
      }
      this.state = s;
    });
    socket.on('frame:result', (r: FrameResult) => {
      this.answered++;
      if (r.counted) this.counted++;
      else if (r.reason === 'replay') this.replayFlags.push(r.seq);
    });
  }

  start(): void {
    let seq = 0;
    this.timer = setInterval(() => {
      if (this.state?.phase !== 'round') return;
      const frame = this.strategy(this.n++, performance.now() - this.roundStartedAt);
      if (!frame) return;
      this.sent++;
      this.socket.emit('frame:send', { seq: seq++, data: frame });
    }, 200);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

describe.skipIf(!modelDir)('replayed pictures against the shipped model', () => {
  let engine: ServedEngine;
  let server: TestServer;
  const sockets: Bot[] = [];

  beforeAll(async () => {
    engine = await createEmotionEngine({ modelDir: modelDir as string, workers: 1 });
    server = await startTestServer({ engine, trustProxy: true });
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.close();
    await engine?.dispose();
  });

  /** The faces of `emotion` in the committed fixture that the model reads as it best, strongest first. */
  async function bestFaces(all: Map<Emotion, Uint8Array[]>, emotion: Emotion, count: number): Promise<Uint8Array[]> {
    const list = all.get(emotion) ?? [];
    const probs = await engine.predict(list);
    return list
      .map((f, i) => ({ f, p: (probs[i] as Float32Array)[emotionId(emotion)] as number }))
      .sort((x, y) => y.p - x.p)
      .slice(0, count)
      .map((x) => x.f);
  }

  it('the honest player outranks every replay strategy in every round, and no replay reaches a board', async () => {
    const all = await publicTestFaces();
    const faces: Faces = { happy: await bestFaces(all, 'happy', 4), neutral: await bestFaces(all, 'neutral', 4) };
    expect(faces.happy).toHaveLength(4);
    for (const f of faces.happy) expect(f.byteLength).toBe(FRAME_BYTES);

    const plan = strategies(faces);
    const bots: StrategyBot[] = [];
    let code = '';
    for (const [i, [name, , strategy]] of plan.entries()) {
      const socket = await connectBot(server.url, { extraHeaders: { 'x-forwarded-for': `198.51.100.${10 + i}` } });
      sockets.push(socket);
      const req = { nickname: nicknameOf(name), playerToken: newToken(`adv${i}`) };
      const joined =
        i === 0
          ? await ask<JoinResult>(socket, 'room:create', {
              ...req,
              settings: { rounds: ROUNDS, roundSeconds: ROUND_SECONDS, emotions: ['happy'] },
            })
          : await ask<JoinResult>(socket, 'room:join', { ...req, code });
      if (!joined.ok) throw new Error(`${name}: ${joined.error.message}`);
      code = joined.data.state.code;
      bots.push(new StrategyBot(name, socket, strategy));
    }
    const host = bots[0] as StrategyBot;
    const rounds: RoundResults[] = [];
    host.socket.on('round:results', (r) => rounds.push(r));
    for (const b of bots) b.start();
    const final = waitFor(host.socket, 'game:final', () => true, 180_000);
    expect((await ask(host.socket, 'game:start')).ok).toBe(true);
    await final;
    for (const b of bots) b.stop();

    const idOf = new Map(bots.map((b) => [b.name, b.socket]));
    const points = (name: string) =>
      rounds.map((r) => r.entries.find((e) => e.nickname === nicknameOf(name))?.points ?? Number.NaN);

    const rows = plan.map(([name, what]) => {
      const bot = bots.find((b) => b.name === name) as StrategyBot;
      return `| ${name} | ${what} | ${points(name).join(' / ')} | ${bot.counted} of ${bot.sent} |`;
    });
    console.info(
      [
        `adversarial: ${engine.name}, ${ROUNDS} rounds of ${ROUND_SECONDS} s, prompt happy, 5 frames/s per bot`,
        '| bot | what it sends | points per round | frames counted on arrival |',
        '|---|---|---|---|',
        ...rows,
      ].join('\n'),
    );

    const honestPoints = points('honest');
    for (const p of honestPoints) expect(p).toBeGreaterThan(300);
    for (const name of REPLAY_BOTS) {
      // What the cheater is told: nearly every answered frame comes back counted: false, reason 'replay'.
      // Measured against the frames answered, not sent: a busy server drops stale frames unanswered.
      const bot = bots.find((b) => b.name === name) as StrategyBot;
      expect(bot.answered, `${name}: frames answered`).toBeGreaterThan(0);
      expect(bot.replayFlags.length, `${name}: frames answered 'replay'`).toBeGreaterThanOrEqual(0.7 * bot.answered);
      const replay = points(name);
      replay.forEach((p, round) => {
        expect(p, `${name}, round ${round + 1}`).toBeLessThan(honestPoints[round] as number);
        expect(p, `${name}, round ${round + 1}: at most 10% of honest`).toBeLessThanOrEqual(
          0.1 * (honestPoints[round] as number),
        );
      });
    }
    // The checks ran in the inference worker, along with the frames, not on the main thread.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const checks = (where: string) =>
      Number(
        metrics.match(new RegExp(`^emotion_arena_replay_checks_total\\{where="${where}"\\} (\\d+)`, 'm'))?.[1] ?? 0,
      );
    expect(checks('worker')).toBeGreaterThan(0);
    expect(checks('main')).toBe(0);
    // The control plays honestly with the wrong face: it scores, but less than the honest happy face.
    points('neutral (control)').forEach((p, round) => {
      expect(p).toBeLessThan(honestPoints[round] as number);
    });

    const boards: Record<string, LeaderboardEntry[]> = {};
    for (const board of ['ranked', 'practice'] as const) {
      const r = await ask<LeaderboardEntry[]>(host.socket, 'leaderboard:get', { period: 'all', limit: 50, board });
      if (!r.ok) throw new Error(r.error.message);
      boards[board] = r.data;
      console.info(
        `${board} leaderboard after the run:\n${r.data
          .map(
            (e) =>
              `${e.rank}. ${e.nickname}${e.lookalike ? ` #${e.tag}` : ''}: best ${e.bestAveragePerRound}/round, ${e.totalPoints} points`,
          )
          .join('\n')}`,
      );
    }
    const onBoard = (board: string) => (boards[board] ?? []).map((e) => e.nickname);
    expect(onBoard('ranked')).toContain(nicknameOf('honest'));
    for (const name of REPLAY_BOTS) {
      expect(onBoard('ranked'), name).not.toContain(nicknameOf(name));
      expect(onBoard('practice'), name).not.toContain(nicknameOf(name));
    }
    expect(idOf.size).toBe(plan.length);
  }, 240_000);
});
