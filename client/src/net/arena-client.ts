/**
 * Socket.IO client: wraps the typed protocol in promises, pushes server events onto the bus,
 * and re-joins the room with the same player token after a reconnect.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../shared/events.ts';
import { encodeFramePacket } from '../../../shared/frame-packet.ts';
import type {
  Ack,
  ErrorCode,
  FrameResult,
  GameSettings,
  JoinResult,
  LeaderboardEntry,
  LeaderboardPeriod,
  PlayerRole,
  ProtocolError,
  RoomState,
} from '../../../shared/protocol.ts';
import { ERROR_CODES, LATEST_PROTOCOL_VERSION, RECONNECT_GRACE_MS } from '../../../shared/protocol.ts';
import type { EventBus } from '../core/event-bus.ts';
import { rejoinFailure } from './room-gone.ts';
import { RoomStateSync } from './room-state-sync.ts';

const ACK_TIMEOUT_MS = 8000;

export class ProtocolFailure extends Error {
  constructor(readonly error: ProtocolError) {
    super(error.message);
    this.name = 'ProtocolFailure';
  }
}

interface Membership {
  code: string;
  nickname: string;
  role: PlayerRole;
}

export class ArenaClient {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private membership: Membership | null = null;
  private wasConnected = false;
  /** For the message when the room is gone after a reconnect (room-gone.ts). */
  private restartAnnounced = false;
  private disconnectedAt = 0;
  /** The room's state from whole states and patches (protocol 2). */
  private readonly roomState = new RoomStateSync();
  /** Told when the server refuses a frame (the latest sendFrame's callback). */
  private onFrameRefused: (code: ErrorCode) => void = () => {};

  constructor(
    private readonly bus: EventBus,
    private readonly playerToken: string,
    url?: string,
  ) {
    // websocket first: on a LAN the polling upgrade only adds a round trip; polling stays as fallback.
    // Protocol 4: each frame one binary message, and one frame:result per frame, refusals
    // included, with no acknowledgement to wait for; room patches mostly ride on those results
    // (docs/protocol.md).
    this.socket = io(url ?? '/', {
      transports: ['websocket', 'polling'],
      reconnectionDelayMax: 3000,
      auth: { v: LATEST_PROTOCOL_VERSION },
    });
    this.bus.emit('connection', 'connecting');
    this.socket.on('connect', () => {
      this.bus.emit('connection', 'connected');
      if (this.wasConnected && this.membership) void this.rejoin(this.membership);
      this.wasConnected = true;
    });
    this.socket.on('disconnect', (reason) => {
      // A server-side kick or our own leave does not reconnect; everything else does.
      this.disconnectedAt = Date.now();
      if (reason === 'io client disconnect') return;
      this.bus.emit('connection', 'reconnecting');
      if (reason === 'io server disconnect') this.socket.connect();
    });
    this.socket.io.on('reconnect_attempt', () => this.bus.emit('connection', 'reconnecting'));
    this.socket.on('room:state', (s) => this.showRoom(this.roomState.whole(s)));
    this.socket.on('room:patch', (p) => this.showRoom(this.roomState.patch(p)));
    this.socket.on('round:results', (r) => this.bus.emit('roundResults', r));
    this.socket.on('game:final', (f) => this.bus.emit('final', f));
    this.socket.on('frame:result', (r) => this.frameAnswered(r));
    this.socket.on('server:error', (e) => {
      if (e.code === 'SERVER_RESTARTING') this.restartAnnounced = true;
      this.bus.emit('serverError', e);
    });
    this.socket.on('room:kicked', ({ reason }) => {
      this.membership = null;
      this.roomState.reset();
      this.bus.emit('kicked', reason);
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get roomCode(): string | null {
    return this.membership?.code ?? null;
  }

  async createRoom(nickname: string, role: PlayerRole, settings?: Partial<GameSettings>): Promise<JoinResult> {
    const res = await this.call<JoinResult>((ack) =>
      this.socket.emit('room:create', { nickname, playerToken: this.playerToken, settings, role }, ack),
    );
    this.membership = { code: res.state.code, nickname, role };
    this.roomState.whole(res.state);
    this.bus.emit('joined', res);
    return res;
  }

  async joinRoom(code: string, nickname: string, role: PlayerRole): Promise<JoinResult> {
    const res = await this.call<JoinResult>((ack) =>
      this.socket.emit('room:join', { code, nickname, playerToken: this.playerToken, role }, ack),
    );
    this.membership = { code: res.state.code, nickname, role };
    this.roomState.whole(res.state);
    this.bus.emit('joined', res);
    return res;
  }

  async leave(): Promise<void> {
    this.membership = null;
    this.roomState.reset();
    try {
      await this.call<null>((ack) => this.socket.emit('room:leave', ack));
    } finally {
      this.bus.emit('left', null);
    }
  }

  updateSettings(settings: Partial<GameSettings>): Promise<GameSettings> {
    return this.call<GameSettings>((ack) => this.socket.emit('room:settings', settings, ack));
  }

  kick(playerId: string): Promise<null> {
    return this.call<null>((ack) => this.socket.emit('room:kick', { playerId }, ack));
  }

  startGame(): Promise<null> {
    return this.call<null>((ack) => this.socket.emit('game:start', ack));
  }

  leaderboard(period: LeaderboardPeriod, limit = 50): Promise<LeaderboardEntry[]> {
    return this.call<LeaderboardEntry[]>((ack) => this.socket.emit('leaderboard:get', { period, limit }, ack));
  }

  /**
   * One binary message (protocol 3, shared/frame-packet.ts) straight on the Engine.IO connection,
   * and volatile as Socket.IO's volatile emit is: dropped while the transport cannot take it, so a
   * blip drops frames instead of queueing stale ones. The answer is one frame:result: a score, or
   * why the server refused the frame (WRONG_PHASE, NOT_A_PLAYER, RATE_LIMITED…), which `onRefused`
   * hears so the player can be told why nothing counts. A frame lost on the way gets no answer,
   * which the frame feedback notices by itself.
   */
  sendFrame(seq: number, data: Uint8Array, onRefused: (code: ErrorCode) => void = () => {}): void {
    if (!this.socket.connected) return;
    this.onFrameRefused = onRefused;
    const engine = this.socket.io.engine;
    if (!engine.transport.writable) return;
    engine.send(encodeFramePacket(seq, data));
  }

  private showRoom(state: RoomState | null): void {
    if (state) this.bus.emit('room', state);
  }

  /** Scores go on the bus; refusals to the sender's callback, as the acknowledgement's errors did. */
  private frameAnswered(r: FrameResult): void {
    // The patch is room news that rode along: the room's meters first, as a room:patch would have been.
    if (r.patch) this.showRoom(this.roomState.patch(r.patch));
    if (!r.refused) {
      this.bus.emit('frameResult', r);
      return;
    }
    // A frame replaced by our own newer one is no news: its successor is answered instead.
    if (r.refused.code !== ERROR_CODES.STALE) this.onFrameRefused(r.refused.code);
  }

  private async rejoin(m: Membership): Promise<void> {
    try {
      await this.joinRoom(m.code, m.nickname, m.role);
      this.restartAnnounced = false;
    } catch (err) {
      // The room may have ended while we were away, or the server restarted.
      this.membership = null;
      const raw = err instanceof ProtocolFailure ? err.error : { code: 'INTERNAL' as const, message: String(err) };
      const error = rejoinFailure(raw, {
        restartAnnounced: this.restartAnnounced,
        awayMs: Date.now() - this.disconnectedAt,
        graceMs: RECONNECT_GRACE_MS,
      });
      this.restartAnnounced = false;
      this.bus.emit('serverError', error);
      // With the reason: the home screen is built after this and shows it there.
      this.bus.emit('left', { reason: error.message });
    }
  }

  private call<T>(send: (ack: (res: Ack<T>) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ProtocolFailure({ code: 'UNAVAILABLE', message: 'The server did not answer. Check the connection.' }),
          ),
        ACK_TIMEOUT_MS,
      );
      send((res) => {
        clearTimeout(timer);
        if (res.ok) resolve(res.data);
        else reject(new ProtocolFailure(res.error));
      });
    });
  }
}
