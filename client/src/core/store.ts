/** The client's view of the game, folded from bus events. Scenes read it when they start. */
import type {
  FinalStandings,
  FrameResult,
  PlayerView,
  RoomState,
  RoundResults,
  SelfInfo,
} from '../../../shared/protocol.ts';
import type { CaptureStatus } from '../capture/capture-status.ts';
import { emptyCaptureStatus } from '../capture/capture-status.ts';
import type { BusEvents, ConnectionStatus, EventBus } from './event-bus.ts';

export class ArenaStore {
  self: SelfInfo | null = null;
  room: RoomState | null = null;
  lastRound: RoundResults | null = null;
  final: FinalStandings | null = null;
  frameResult: FrameResult | null = null;
  connection: ConnectionStatus = 'connecting';
  capture: CaptureStatus = emptyCaptureStatus();
  /** Local clock minus server clock, from the latest room state (for countdowns). */
  clockOffsetMs = 0;

  /** `now`: the local clock (a fake one in tests: the offset is read when a state arrives). */
  constructor(
    bus: EventBus<BusEvents>,
    private readonly now: () => number = Date.now,
  ) {
    bus.on('connection', (s) => {
      this.connection = s;
    });
    bus.on('joined', (j) => {
      this.self = j.self;
      this.lastRound = j.lastRound;
      this.final = j.final;
      this.setRoom(j.state);
    });
    bus.on('room', (r) => this.setRoom(r));
    bus.on('roundResults', (r) => {
      this.lastRound = r;
    });
    bus.on('final', (f) => {
      this.final = f;
    });
    bus.on('frameResult', (f) => {
      this.frameResult = f;
    });
    bus.on('capture', (c) => {
      this.capture = c;
    });
    bus.on('left', () => this.clear());
    bus.on('kicked', () => this.clear());
  }

  private setRoom(r: RoomState): void {
    this.room = r;
    this.clockOffsetMs = this.now() - r.serverTime;
    // The server may change our role (a late joiner becomes a player for the next game).
    const me = this.me;
    if (me && this.self) this.self = { ...this.self, role: me.role };
  }

  private clear(): void {
    this.self = null;
    this.room = null;
    this.lastRound = null;
    this.final = null;
    this.frameResult = null;
  }

  get me(): PlayerView | null {
    if (!this.room || !this.self) return null;
    return this.room.players.find((p) => p.id === this.self!.playerId) ?? null;
  }

  get isHost(): boolean {
    return !!this.room && !!this.self && this.room.hostId === this.self.playerId;
  }

  /** Whether our frames should be sent now: a round is running and we play in it. */
  get shouldSend(): boolean {
    const me = this.me;
    return this.room?.phase === 'round' && !!me && me.role === 'player' && !me.waiting;
  }

  /** Milliseconds left in the current phase by the local clock (state is ≤100 ms old). */
  timeLeftMs(now: number = this.now()): number {
    const r = this.room;
    if (!r?.round) return 0;
    const elapsed = now - this.clockOffsetMs - r.serverTime;
    return Math.max(0, r.round.timeLeftMs - elapsed);
  }
}
