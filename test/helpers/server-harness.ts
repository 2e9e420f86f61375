/** Starts a real server on a random port and drives it with real socket.io-client bots. */
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { afterAll, beforeAll } from 'vitest';
import { type AppDeps, type Application, createApplication } from '../../server/app.ts';
import { createEmotionEngine } from '../../server/ml/engine/create-engine.ts';
import type { EmotionEngine } from '../../server/ml/engine/types.ts';
import { SqliteLeaderboardStore } from '../../server/store/sqlite-store.ts';
import type { LeaderboardStore } from '../../server/store/types.ts';
import { EMOTION_COUNT, EMOTIONS, type Emotion } from '../../shared/emotions.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { encodeFramePacket } from '../../shared/frame-packet.ts';
import { type Ack, type FrameResult, sendsFramePackets } from '../../shared/protocol.ts';
import { PROJECT_ROOT } from '../../training/data/dataset.ts';
import { readFer2013 } from '../../training/data/fer2013-reader.ts';

export type Bot = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

export const SHORT_TIMINGS = { countdownMs: 300, roundResultsMs: 300, finalResultsMs: 600, reconnectGraceMs: 60_000 };
export const SHORT_LIMITS = { rounds: { min: 1, max: 20 }, roundSeconds: { min: 1, max: 60 } };

export interface TestServer {
  url: string;
  app: Application;
  http: HttpServer;
  store: LeaderboardStore;
  dbFile: string;
  close(): Promise<void>;
}

export async function startTestServer(
  options: Partial<AppDeps> & { engine: EmotionEngine; dbFile?: string },
): Promise<TestServer> {
  const dbFile = options.dbFile ?? join(mkdtempSync(join(tmpdir(), 'arena-it-')), 'leaderboard.sqlite');
  const store = options.store ?? new SqliteLeaderboardStore(dbFile);
  const http = createServer();
  const app = createApplication(http, {
    timings: SHORT_TIMINGS,
    settingsLimits: SHORT_LIMITS,
    serveClient: false,
    ...options,
    store,
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const { port } = http.address() as AddressInfo;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    http,
    store,
    dbFile,
    async close() {
      if (closed) return;
      closed = true;
      await app.shutdown();
      await store.close();
    },
  };
}

export function connectBot(url: string, options: Parameters<typeof connect>[1] = {}): Promise<Bot> {
  const socket: Bot = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
  return new Promise((resolvePromise, reject) => {
    socket.once('connect', () => resolvePromise(socket));
    socket.once('connect_error', (e) => reject(e));
  });
}

/** Emits with an acknowledgement; the untyped signature lets tests send malformed payloads on purpose. */
export function ask<T = unknown>(socket: Bot, event: string, ...args: unknown[]): Promise<Ack<T>> {
  return (socket as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<Ack<T>> } })
    .timeout(15_000)
    .emitWithAck(event, ...args);
}

export function waitFor<E extends keyof ServerToClientEvents>(
  socket: Bot,
  event: E,
  predicate: (...args: Parameters<ServerToClientEvents[E]>) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolvePromise, reject) => {
    const listener = (...args: unknown[]) => {
      if (!(predicate as (...a: unknown[]) => boolean)(...args)) return;
      clearTimeout(timer);
      (socket as unknown as { off(e: string, l: (...a: unknown[]) => void): void }).off(event, listener);
      resolvePromise(args[0] as Parameters<ServerToClientEvents[E]>[0]);
    };
    const timer = setTimeout(() => {
      (socket as unknown as { off(e: string, l: (...a: unknown[]) => void): void }).off(event, listener);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    (socket as unknown as { on(e: string, l: (...a: unknown[]) => void): void }).on(event, listener);
  });
}

let tokenCounter = 0;
export function newToken(name: string): string {
  return `it_${name}_${process.pid}_${++tokenCounter}_${Math.random().toString(36).slice(2, 10)}`.slice(0, 64);
}

/**
 * The shipped model folder for integration tests: models/emotion, else null. Only the committed model:
 * the history (models/MANIFEST.json) is not in a clone, so no test may depend on it.
 */
export function shippedModelDir(): string | null {
  const override = process.env.ARENA_TEST_MODEL_DIR;
  if (override === 'none') return null;
  if (override) return resolve(override);
  const dir = join(PROJECT_ROOT, 'models', 'emotion');
  return existsSync(join(dir, 'model.json')) ? dir : null;
}

/**
 * One engine for every server a test file starts, made once: the shipped model (one worker) when
 * there is one, else the marker engine (these tests do not judge the model). Registers beforeAll
 * (create) and afterAll (dispose) in the calling scope; the returned function reads the engine.
 */
export function sharedTestEngine(testName: string): () => EmotionEngine {
  let engine: EmotionEngine | undefined;
  beforeAll(async () => {
    const dir = shippedModelDir();
    engine = dir ? await createEmotionEngine({ modelDir: dir, workers: 1 }) : markerEngine();
    if (!dir) console.warn(`${testName}: no models/emotion; protocol tests use the marker engine`);
  });
  afterAll(async () => {
    await engine?.dispose();
  });
  return () => {
    if (!engine) throw new Error(`${testName}: the test engine is not created yet (read it inside a hook or test)`);
    return engine;
  };
}

/**
 * One test server for the calling describe block: started before its tests, closed after them
 * (registers beforeAll and afterAll in the calling scope, as sharedTestEngine does). `connect`
 * opens a bot on it and `disconnectAtEnd` takes any other client socket; all are disconnected
 * before the server closes.
 */
export function serverForSuite(options: Parameters<typeof startTestServer>[0]) {
  let server: TestServer | undefined;
  const sockets: { disconnect(): unknown }[] = [];
  beforeAll(async () => {
    server = await startTestServer(options);
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.close();
  });
  const suite = {
    get server(): TestServer {
      if (!server) throw new Error('the suite server is not started yet (use it inside a hook or test)');
      return server;
    },
    async connect(clientOptions: Parameters<typeof connectBot>[1] = {}): Promise<Bot> {
      const s = await connectBot(suite.server.url, clientOptions);
      sockets.push(s);
      return s;
    },
    disconnectAtEnd(socket: { disconnect(): unknown }): void {
      sockets.push(socket);
    },
  };
  return suite;
}

/** PublicTest faces of the committed fixture, by emotion. */
export async function publicTestFaces(): Promise<Map<Emotion, Uint8Array[]>> {
  const data = await readFer2013(join(PROJECT_ROOT, 'test/fixtures/fer2013-sample.csv'));
  const byEmotion = new Map<Emotion, Uint8Array[]>(EMOTIONS.map((e) => [e, []]));
  for (let i = 0; i < data.count; i++) {
    if (data.usages[i] !== 1) continue; // USAGES[1] = PublicTest
    const e = EMOTIONS[data.labels[i] as number] as Emotion;
    byEmotion.get(e)?.push(data.images.slice(i * FRAME_BYTES, (i + 1) * FRAME_BYTES));
  }
  return byEmotion;
}

/**
 * A deterministic stand-in engine for protocol tests that do not judge the model:
 * frame[0] % 7 is the emotion shown, with probability 0.9.
 */
export function markerEngine(delayMs = 2): EmotionEngine {
  return {
    name: 'marker (test)',
    async predict(frames) {
      await new Promise((r) => setTimeout(r, delayMs));
      return frames.map((f) => {
        const out = new Float32Array(EMOTION_COUNT).fill(0.1 / (EMOTION_COUNT - 1));
        out[(f[0] as number) % EMOTION_COUNT] = 0.9;
        return out;
      });
    },
    async dispose() {},
  };
}

/** Every frame:result a socket gets from now on, in order (the array fills as they arrive). */
export function frameResults(socket: Bot): FrameResult[] {
  const got: FrameResult[] = [];
  socket.on('frame:result', (r) => got.push(r));
  return got;
}

/** Polls `check` every 20 ms until it holds; throws 'timed out' after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A frame that the marker engine reads as `emotion`; `n` varies the other bytes so it is never a still. */
export function markerFrame(emotionIndex: number, n: number): Uint8Array {
  const f = new Uint8Array(FRAME_BYTES);
  for (let i = 1; i < FRAME_BYTES; i++) f[i] = (i * 31 + n * 7) & 255;
  f[0] = emotionIndex;
  return f;
}

/**
 * A bot that follows room:state and streams frames at 5 frames/s during rounds. Protocol 1 (the
 * default) sends `frame:send` with an acknowledgement; protocols 3 and 4 send each frame as one
 * binary message, as the browser does, and hear refusals in frame:result (4: with room patches
 * riding on the results, counted in `patchesRiding`). The socket must have said that version in
 * its handshake (`auth: { v: 4 }`).
 */
export class PlayerBot {
  state: import('../../shared/protocol.ts').RoomState | null = null;
  readonly latenciesMs: number[] = [];
  readonly errors: string[] = [];
  resultsReceived = 0;
  /** Protocol 4: frame results that brought a room patch. */
  patchesRiding = 0;
  private seq = 0;
  private readonly sentAt = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    public socket: Bot,
    private readonly pick: (prompt: Emotion, n: number) => Uint8Array,
    private readonly protocol: 1 | 3 | 4 = 1,
  ) {
    this.attach(socket);
  }

  attach(socket: Bot): void {
    this.socket = socket;
    socket.on('room:state', (s) => {
      this.state = s;
    });
    socket.on('frame:result', (r) => {
      if (r.patch) this.patchesRiding++;
      if (r.refused) {
        // Protocol 3's refusals (protocol 1 hears them on the acknowledgement); STALE is not one.
        if (r.refused.code !== 'STALE') this.errors.push(r.refused.code);
        return;
      }
      this.resultsReceived++;
      const t = this.sentAt.get(r.seq);
      if (t !== undefined) {
        this.latenciesMs.push(performance.now() - t);
        this.sentAt.delete(r.seq);
      }
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      const s = this.state;
      if (!this.socket.connected || s?.phase !== 'round' || !s.round?.prompt) return;
      const seq = this.seq++;
      this.sentAt.set(seq, performance.now());
      if (this.sentAt.size > 200) this.sentAt.delete(this.sentAt.keys().next().value as number);
      const data = this.pick(s.round.prompt, seq);
      if (sendsFramePackets(this.protocol)) {
        this.socket.io.engine.send(encodeFramePacket(seq, data));
        return;
      }
      this.socket.emit('frame:send', { seq, data }, (ack) => {
        if (!ack.ok) this.errors.push(ack.error.code);
      });
    }, 200);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
