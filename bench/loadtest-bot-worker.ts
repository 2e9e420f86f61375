/**
 * Load-test bots for some rooms, in one worker thread: real socket.io-client
 * connections that create/join a room, start a game and, during rounds, stream
 * real FER2013 faces at `fps`, timing each frame to the sender's own frame:result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/events.ts';
import { FRAME_BYTES } from '../shared/frame.ts';
import { encodeFramePacket } from '../shared/frame-packet.ts';
import {
  type Ack,
  type ErrorCode,
  type JoinResult,
  type Phase,
  type ProtocolVersion,
  sendsFramePackets,
} from '../shared/protocol.ts';
import { type BotCounters, emptyCounters } from './loadtest-stats.ts';

export interface BotWorkerInit {
  /** Servers to spread the bots over: one, or several cluster nodes. */
  urls: string[];
  /** Players per room handled by this worker. */
  rooms: number[];
  fps: number;
  durationMs: number;
  faces: Uint8Array;
  workerIndex: number;
  /** Every bot opts in to frame donation after joining. */
  donate: boolean;
  /**
   * Wire protocol (shared/protocol.ts): 3 and 4 send each frame as one binary message (4 also
   * takes room patches in frame results), 2 as an event without acknowledgement, 1 as clients
   * before them.
   */
  protocol: ProtocolVersion;
}

export type BotWorkerMessage =
  | { type: 'started'; rooms: number }
  | { type: 'done'; counters: BotCounters }
  | { type: 'fatal'; message: string };

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const port = parentPort;
if (!port) throw new Error('loadtest-bot-worker.ts must run in a worker thread');
const init = workerData as BotWorkerInit;
const c = emptyCounters();
const nFaces = init.faces.byteLength / FRAME_BYTES;
let stopping = false;

function token(): string {
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  let s = '';
  for (let i = 0; i < 24; i++) s += a[Math.floor(Math.random() * a.length)];
  return s;
}

/** Seconds a set-up request (create, join, start, consent) may go unanswered before the run fails. */
const ACK_TIMEOUT_MS = 30_000;

function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const s: Client = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 20_000,
      auth: { v: init.protocol },
    });
    // socket.io-client's `timeout` covers opening the transport only; a namespace connection the
    // server never answers (a middleware that never calls next) would wait forever.
    const timer = setTimeout(() => {
      c.connectErrors++;
      s.disconnect();
      reject(
        new Error(
          `connect to ${url}: no answer in ${ACK_TIMEOUT_MS / 1000} s (transport ${s.io.engine?.readyState ?? 'none'})`,
        ),
      );
    }, ACK_TIMEOUT_MS);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('connect_error', (err) => {
      clearTimeout(timer);
      c.connectErrors++;
      reject(err);
    });
    s.on('disconnect', (reason) => {
      if (!stopping && reason !== 'io client disconnect') c.disconnects++;
    });
  });
}

function ackOf<T>(emit: (cb: (r: Ack<T>) => void) => void, what: string): Promise<T> {
  // A request the server never answers must fail the run with its name, not hang it (seen once
  // with 2 processes and 450 players: the bench waited for minutes with every room closed).
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: no answer from the server in ${ACK_TIMEOUT_MS / 1000} s`)),
      ACK_TIMEOUT_MS,
    );
    emit((r) => {
      clearTimeout(timer);
      if (r.ok) resolve(r.data);
      else reject(new Error(`${what}: ${r.error.code} ${r.error.message}`));
    });
  });
}

function rejected(code: ErrorCode): void {
  c.framesRejected[code] = (c.framesRejected[code] ?? 0) + 1;
}

class Bot {
  phase: Phase = 'lobby';
  private seq = 0;
  private readonly sentAt = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private face: number;

  constructor(
    readonly socket: Client,
    index: number,
  ) {
    this.face = (index * 37) % nFaces;
    socket.on('room:state', (st) => {
      if (st.phase === 'round' && this.phase !== 'round') c.roundsSeen++;
      this.phase = st.phase;
    });
    socket.on('frame:result', (r) => {
      const t = this.sentAt.get(r.seq);
      if (t === undefined) return;
      this.sentAt.delete(r.seq);
      // Protocol 2: a frame that was not scored is answered here too. A superseded (STALE) one stays
      // counted as dropped, as under protocol 1, where it got no answer at all.
      if (r.refused) {
        if (r.refused.code !== 'STALE') rejected(r.refused.code);
        return;
      }
      c.framesScored++;
      c.latencies.push(performance.now() - t);
    });
  }

  /** Streams at fps with a random phase offset, like unsynchronised browsers. */
  stream(): void {
    const period = 1000 / init.fps;
    setTimeout(() => {
      this.timer = setInterval(() => this.send(), period);
    }, Math.random() * period);
  }

  private send(): void {
    if (stopping || this.phase !== 'round') return;
    const seq = this.seq++;
    // Consecutive faces differ, so the server's still-image check counts them.
    this.face = (this.face + 1) % nFaces;
    const data = init.faces.slice(this.face * FRAME_BYTES, (this.face + 1) * FRAME_BYTES);
    this.sentAt.set(seq, performance.now());
    c.framesSent++;
    if (sendsFramePackets(init.protocol)) {
      // As the browser client sends it (client/src/net/arena-client.ts): one binary message.
      this.socket.io.engine.send(encodeFramePacket(seq, data));
      return;
    }
    if (init.protocol === 2) {
      this.socket.emit('frame:send', { seq, data });
      return;
    }
    this.socket.emit('frame:send', { seq, data }, (r) => {
      if (r.ok) return;
      this.sentAt.delete(seq);
      rejected(r.error.code);
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

async function donate(s: Client, playerToken: string): Promise<void> {
  if (!init.donate) return;
  await ackOf<unknown>((cb) => s.emit('donation:consent', { playerToken, consent: true }, cb), 'donation:consent');
}

async function runRoom(players: number, roomIndex: number): Promise<Bot[]> {
  const bots: Bot[] = [];
  // With several servers, a room's players are spread over them round-robin from its host's: most of
  // them play in a room that runs on another node (their events are forwarded to it).
  const at = (i: number) => init.urls[(init.workerIndex + roomIndex + i) % init.urls.length] as string;
  const host = await connect(at(0));
  const nick = (i: number) => `bot${init.workerIndex}_${roomIndex}_${i}`.slice(0, 16);
  const hostToken = token();
  const created = await ackOf<JoinResult>(
    (cb) =>
      host.emit(
        'room:create',
        { nickname: nick(0), playerToken: hostToken, settings: { rounds: 20, roundSeconds: 60 } },
        cb,
      ),
    'room:create',
  );
  await donate(host, hostToken);
  const code = created.state.code;
  bots.push(new Bot(host, roomIndex * 16));
  for (let i = 1; i < players; i++) {
    const s = await connect(at(i));
    const playerToken = token();
    await ackOf<JoinResult>((cb) => s.emit('room:join', { code, nickname: nick(i), playerToken }, cb), 'room:join');
    await donate(s, playerToken);
    bots.push(new Bot(s, roomIndex * 16 + i));
  }
  const start = async () => {
    await ackOf<null>((cb) => host.emit('game:start', cb), 'game:start');
    c.gamesStarted++;
  };
  // A finished game is restarted so that the load lasts the whole run.
  host.on('game:final', () => {
    if (!stopping) setTimeout(() => void start().catch(() => {}), 500);
  });
  await start();
  for (const b of bots) b.stream();
  return bots;
}

try {
  const rooms = await Promise.all(init.rooms.map((p, i) => runRoom(p, i)));
  port.postMessage({ type: 'started', rooms: rooms.length } satisfies BotWorkerMessage);
  await new Promise((r) => setTimeout(r, init.durationMs));
  stopping = true;
  for (const b of rooms.flat()) b.stop();
  // Let answers to the last frames arrive before counting the rest as dropped.
  await new Promise((r) => setTimeout(r, 1500));
  for (const b of rooms.flat()) b.socket.disconnect();
  port.postMessage({ type: 'done', counters: c } satisfies BotWorkerMessage);
} catch (err) {
  port.postMessage({
    type: 'fatal',
    message: err instanceof Error ? err.message : String(err),
  } satisfies BotWorkerMessage);
}
