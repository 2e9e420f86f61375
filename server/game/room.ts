/**
 * One room: its members, host, settings and the game state machine
 * lobby → countdown → round → roundResults → countdown → … → finalResults → lobby.
 * Pure: time comes from the injected Clock, randomness from the injected function,
 * and everything observable goes out through the RoomListener.
 */
import { type Emotion, emotionId } from '../../shared/emotions.ts';
import {
  ERROR_CODES,
  type ErrorCode,
  type FinalStandingEntry,
  type FinalStandings,
  GAME_LIMITS,
  type GameSettings,
  MAX_PLAYERS_PER_ROOM,
  MAX_SPECTATORS_PER_ROOM,
  type Phase,
  type PlayerRole,
  type PlayerView,
  RECONNECT_GRACE_MS,
  type RoomState,
  type RoundResultEntry,
  type RoundResults,
  type UncountedReason,
} from '../../shared/protocol.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { GameRecord } from './game-record.ts';
import { measureReplay, ReplayDetector, type ReplayMeasure, type ReplayProbe } from './liveness.ts';
import { checkNickname, nicknamesCollide } from './nickname.ts';
import { publicIdFromToken } from './player-id.ts';
import { drawPrompt } from './prompts.ts';
import { isRankedGame, UNKNOWN_ADDRESS } from './ranking.ts';
import { frameMatch, RoundScorer, type ScoringRules } from './scoring.ts';
import { applySettings } from './validators.ts';

export interface GameTimings {
  countdownMs: number;
  roundResultsMs: number;
  finalResultsMs: number;
  reconnectGraceMs: number;
}

export const DEFAULT_TIMINGS: GameTimings = {
  countdownMs: GAME_LIMITS.countdownSeconds * 1000,
  roundResultsMs: GAME_LIMITS.roundResultsSeconds * 1000,
  finalResultsMs: 10_000,
  reconnectGraceMs: RECONNECT_GRACE_MS,
};

export type RemovalReason = 'left' | 'kicked' | 'timeout';

export interface RoomListener {
  /** Something visible in the room state changed (callers throttle broadcasts). */
  changed(room: Room): void;
  roundResults(room: Room, results: RoundResults): void;
  gameFinished(room: Room, standings: FinalStandings, record: GameRecord): void;
  memberRemoved(room: Room, memberId: string, reason: RemovalReason): void;
  /** The room has no members left and should be discarded. */
  empty(room: Room): void;
}

export interface RoomDeps {
  clock: Clock;
  random: () => number;
  timings: GameTimings;
  scoring: ScoringRules;
  newGameId: () => string;
  listener: RoomListener;
}

export type RoomResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

const fail = (code: ErrorCode, message: string): { ok: false; code: ErrorCode; message: string } => ({
  ok: false,
  code,
  message,
});

export interface Member {
  readonly id: string;
  readonly token: string;
  nickname: string;
  /** One-way key of the address the member last joined from (ranking.ts addressKey). */
  address: string;
  role: PlayerRole;
  /** False for members who asked to spectate; only those who want to play are promoted to free seats. */
  wantsToPlay: boolean;
  connected: boolean;
  joinedSeq: number;
  /** Joined mid-game: watches until the next game. */
  waiting: boolean;
  /** Plays the current game. */
  inGame: boolean;
  score: number;
  bests: Partial<Record<Emotion, number>>;
  scorer: RoundScorer | null;
  /** Replay check of the frames this member sends in the current round. */
  readonly liveness: ReplayDetector;
  graceTimer: TimerHandle | null;
}

export interface JoinOutcome {
  member: Member;
  /** True when the token already had a seat here (reload, reconnect, second tab). */
  rejoined: boolean;
}

/** Issued when a frame is accepted during a round; results for another round are discarded. */
export interface FrameTicket {
  roundKey: string;
  receivedAt: number;
  /** The liveness check's id of the frame in its round. */
  frameId: number;
  /** The frame (kept, not copied: the caller hands over bytes it no longer changes). */
  frame: Uint8Array;
  /**
   * The frame's replay check as it arrived: what it is compared with. The arithmetic
   * (measureReplay) runs where the frame is scored and comes back to recordFrame.
   */
  replay: ReplayProbe;
}

export interface FrameOutcome {
  prompt: Emotion;
  match: number;
  meter: number;
  counted: boolean;
  /** Why the frame did not count, when it did not. */
  reason?: UncountedReason;
}

export class Room {
  private readonly members = new Map<string, Member>();
  private readonly banned = new Set<string>();
  private joinCounter = 0;
  private hostIdValue: string | null = null;
  private phaseValue: Phase = 'lobby';
  private phaseEndsAt: number | null = null;
  private phaseTimer: TimerHandle | null = null;
  private settingsValue: GameSettings;
  private gameId: string | null = null;
  private gameStartedAt = 0;
  private roundIndex = -1;
  private roundKeyCache: { gameId: string | null; roundIndex: number; key: string } | null = null;
  private prompt: Emotion | null = null;
  private roundStartedAt = 0;
  private lastRoundValue: RoundResults | null = null;
  private finalValue: FinalStandings | null = null;
  private closed = false;

  constructor(
    readonly code: string,
    settings: GameSettings,
    private readonly deps: RoomDeps,
  ) {
    this.settingsValue = applySettings(settings, {});
  }

  get phase(): Phase {
    return this.phaseValue;
  }
  get hostId(): string | null {
    return this.hostIdValue;
  }
  get settings(): GameSettings {
    return applySettings(this.settingsValue, {});
  }
  get lastRound(): RoundResults | null {
    return this.lastRoundValue;
  }
  get final(): FinalStandings | null {
    return this.finalValue;
  }
  /** Server time the current (or last) round started; donations record how far into the round a crop came. */
  get roundStartedAtMs(): number {
    return this.roundStartedAt;
  }
  get currentPrompt(): Emotion | null {
    return this.prompt;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  get memberCount(): number {
    return this.members.size;
  }
  get connectedCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.connected) n++;
    return n;
  }
  get gameInProgress(): boolean {
    return this.gameId !== null && this.phaseValue !== 'lobby' && this.phaseValue !== 'finalResults';
  }

  member(id: string): Member | undefined {
    return this.members.get(id);
  }

  memberByToken(token: string): Member | undefined {
    return this.members.get(publicIdFromToken(token));
  }

  isBanned(token: string): boolean {
    return this.banned.has(publicIdFromToken(token));
  }

  // ── membership ──────────────────────────────────────────────────────────────

  /**
   * Adds a member, or gives a returning token its seat back. `wantRole` 'spectator'
   * watches only; a player joins as spectator when the player seats are taken. A new
   * member without `wantRole` joins as a player; a returning one keeps their role, or with
   * `wantRole` switches to it in place (see applyWantedRole).
   */
  join(token: string, nicknameInput: string, wantRole?: PlayerRole, address?: string): RoomResult<JoinOutcome> {
    if (this.closed) return fail(ERROR_CODES.ROOM_NOT_FOUND, 'this room has closed');
    const id = publicIdFromToken(token);
    if (this.banned.has(id)) return fail(ERROR_CODES.KICKED, 'you were removed from this room by the host');
    const nick = checkNickname(nicknameInput);
    if (!nick.ok) return fail(ERROR_CODES.NICKNAME_INVALID, nick.reason);
    for (const other of this.members.values()) {
      if (other.id !== id && nicknamesCollide(other.nickname, nick.nickname)) {
        return fail(ERROR_CODES.NICKNAME_TAKEN, `"${nick.nickname}" is too close to "${other.nickname}" in this room`);
      }
    }
    const existing = this.members.get(id);
    if (existing) {
      const demote = wantRole === 'spectator' && existing.role === 'player';
      if (demote && this.countRole('spectator') >= MAX_SPECTATORS_PER_ROOM) {
        return fail(ERROR_CODES.ROOM_FULL, 'no spectator seat is free in this room');
      }
      existing.nickname = nick.nickname;
      if (address) existing.address = address;
      existing.connected = true;
      if (existing.graceTimer) this.deps.clock.clearTimeout(existing.graceTimer);
      existing.graceTimer = null;
      if (this.hostIdValue === null || !this.members.get(this.hostIdValue)?.connected) this.hostIdValue = id;
      if (wantRole) this.applyWantedRole(existing, wantRole);
      this.deps.listener.changed(this);
      return { ok: true, value: { member: existing, rejoined: true } };
    }
    const wantsToPlay = wantRole !== 'spectator';
    let role: PlayerRole;
    if (wantsToPlay && this.countRole('player') < MAX_PLAYERS_PER_ROOM) role = 'player';
    else if (this.countRole('spectator') < MAX_SPECTATORS_PER_ROOM) role = 'spectator';
    else return fail(ERROR_CODES.ROOM_FULL, 'this room is full');
    const member: Member = {
      id,
      token,
      nickname: nick.nickname,
      address: address ?? UNKNOWN_ADDRESS,
      role,
      wantsToPlay,
      connected: true,
      joinedSeq: this.joinCounter++,
      waiting: role === 'player' && this.phaseValue !== 'lobby',
      inGame: false,
      score: 0,
      bests: {},
      scorer: null,
      liveness: new ReplayDetector(this.deps.scoring.liveness),
      graceTimer: null,
    };
    this.members.set(id, member);
    if (this.hostIdValue === null) this.hostIdValue = id;
    this.deps.listener.changed(this);
    return { ok: true, value: { member, rejoined: false } };
  }

  /** The connection dropped: keep the seat and score for the reconnect grace period. */
  disconnect(id: string): void {
    const m = this.members.get(id);
    if (!m?.connected) return;
    m.connected = false;
    m.scorer?.interrupt(this.deps.clock.now());
    if (m.graceTimer) this.deps.clock.clearTimeout(m.graceTimer);
    m.graceTimer = this.deps.clock.setTimeout(() => this.remove(id, 'timeout'), this.deps.timings.reconnectGraceMs);
    if (this.hostIdValue === id) {
      const next = this.pickHost(id, true);
      if (next) this.hostIdValue = next.id;
    }
    this.deps.listener.changed(this);
  }

  leave(id: string): RoomResult<null> {
    if (!this.members.has(id)) return fail(ERROR_CODES.NOT_IN_ROOM, 'you are not in this room');
    this.remove(id, 'left');
    return { ok: true, value: null };
  }

  kick(byId: string, targetId: string): RoomResult<null> {
    if (byId !== this.hostIdValue) return fail(ERROR_CODES.NOT_HOST, 'only the host can kick');
    if (targetId === byId) return fail(ERROR_CODES.INVALID_PAYLOAD, 'the host cannot kick themselves');
    if (!this.members.has(targetId)) return fail(ERROR_CODES.NOT_IN_ROOM, 'no such player in this room');
    this.banned.add(targetId);
    this.remove(targetId, 'kicked');
    return { ok: true, value: null };
  }

  updateSettings(byId: string, patch: Partial<GameSettings>): RoomResult<GameSettings> {
    if (byId !== this.hostIdValue) return fail(ERROR_CODES.NOT_HOST, 'only the host can change settings');
    if (this.phaseValue !== 'lobby' && this.phaseValue !== 'finalResults') {
      return fail(ERROR_CODES.WRONG_PHASE, 'settings can only change between games');
    }
    this.settingsValue = applySettings(this.settingsValue, patch);
    this.deps.listener.changed(this);
    return { ok: true, value: this.settings };
  }

  // ── game flow ───────────────────────────────────────────────────────────────

  start(byId: string): RoomResult<null> {
    if (byId !== this.hostIdValue) return fail(ERROR_CODES.NOT_HOST, 'only the host can start the game');
    if (this.phaseValue !== 'lobby' && this.phaseValue !== 'finalResults') {
      return fail(ERROR_CODES.WRONG_PHASE, 'a game is already running');
    }
    this.returnToLobbyState();
    const players = [...this.members.values()].filter((m) => m.role === 'player' && m.connected);
    if (players.length === 0) return fail(ERROR_CODES.NOT_A_PLAYER, 'no connected players to start with');
    for (const m of this.members.values()) {
      m.inGame = m.role === 'player' && m.connected;
      m.waiting = false;
      m.score = 0;
      m.bests = {};
      m.scorer = null;
    }
    this.gameId = this.deps.newGameId();
    this.gameStartedAt = this.deps.clock.now();
    this.roundIndex = -1;
    this.prompt = null;
    this.lastRoundValue = null;
    this.finalValue = null;
    this.enterCountdown();
    return { ok: true, value: null };
  }

  /** Accepts a frame from a member if a round is running; stamps it with the server time. */
  acceptFrame(id: string, frame: Uint8Array): RoomResult<FrameTicket> {
    const m = this.members.get(id);
    if (!m) return fail(ERROR_CODES.NOT_IN_ROOM, 'you are not in this room');
    if (this.phaseValue !== 'round') return fail(ERROR_CODES.WRONG_PHASE, 'no round is running');
    if (!m.inGame) return fail(ERROR_CODES.NOT_A_PLAYER, 'you are not playing this game');
    const now = this.deps.clock.now();
    const replay = m.liveness.probe(now);
    return { ok: true, value: { roundKey: this.roundKey(), receivedAt: now, frameId: replay.frameId, frame, replay } };
  }

  /**
   * Records a frame's model output and its replay check; null when its round is over (late
   * result) or its sender left. `measure`: measureReplay of the ticket's frame against its
   * probe, when the engine computed it alongside the probabilities; without it, it is computed here.
   */
  recordFrame(
    id: string,
    ticket: FrameTicket,
    probabilities: ArrayLike<number>,
    measure?: ReplayMeasure,
  ): FrameOutcome | null {
    const m = this.members.get(id);
    if (!m?.scorer || this.phaseValue !== 'round' || ticket.roundKey !== this.roundKey() || !this.prompt) {
      return null;
    }
    const now = this.deps.clock.now();
    const verdict = m.liveness.complete(ticket.replay, measure ?? measureReplay(ticket.frame, ticket.replay.earlier));
    // The frames this one copies showed the same picture first: a held level built on them is revoked.
    m.scorer.revoke(verdict.copies, now);
    const counted = !verdict.replay;
    const match = frameMatch(probabilities, emotionId(this.prompt));
    const meter = m.scorer.add(ticket.receivedAt, match, counted, ticket.frameId);
    this.deps.listener.changed(this);
    return {
      prompt: this.prompt,
      match: Number.isFinite(match) ? match : 0,
      meter,
      counted,
      ...(counted ? {} : { reason: 'replay' as const }),
    };
  }

  /**
   * For graceful shutdown: ends a running round now (its results are published) and
   * finishes the game with the rounds played so far. Stops all timers.
   */
  finishNow(): void {
    if (this.phaseValue === 'round') this.endRound(true);
    else if (this.gameInProgress) {
      if (this.roundIndex >= 0 && this.lastRoundValue) this.finishGame(this.lastRoundValue.index + 1);
      else this.abortGame();
    }
    this.close();
  }

  /** Stops timers; the room accepts nothing afterwards. */
  close(): void {
    this.closed = true;
    this.clearPhaseTimer();
    for (const m of this.members.values()) {
      if (m.graceTimer) this.deps.clock.clearTimeout(m.graceTimer);
      m.graceTimer = null;
    }
  }

  // ── views ───────────────────────────────────────────────────────────────────

  snapshot(): RoomState {
    const now = this.deps.clock.now();
    const players: PlayerView[] = [...this.members.values()]
      .sort((a, b) => (a.role === b.role ? a.joinedSeq - b.joinedSeq : a.role === 'player' ? -1 : 1))
      .map((m) => ({
        id: m.id,
        nickname: m.nickname,
        role: m.role,
        isHost: m.id === this.hostIdValue,
        connected: m.connected,
        score: m.score,
        meter: this.phaseValue === 'round' && m.scorer ? round3(m.scorer.meter) : 0,
        waiting: m.waiting,
      }));
    return {
      code: this.code,
      phase: this.phaseValue,
      hostId: this.hostIdValue,
      settings: this.settings,
      players,
      round:
        this.roundIndex < 0
          ? null
          : {
              index: this.roundIndex,
              total: this.settingsValue.rounds,
              prompt: this.prompt,
              timeLeftMs: this.phaseEndsAt === null ? 0 : Math.max(0, this.phaseEndsAt - now),
            },
      serverTime: now,
    };
  }

  // ── internals ───────────────────────────────────────────────────────────────

  /**
   * The same string object for as long as the round lasts: recordFrame compares every frame's
   * ticket with it, and two equal strings built separately are compared character by character
   * (V8 builds a template literal as a rope, which is slower still to read).
   */
  private roundKey(): string {
    const cached = this.roundKeyCache;
    if (cached && cached.gameId === this.gameId && cached.roundIndex === this.roundIndex) return cached.key;
    const key = `${this.gameId}:${this.roundIndex}`;
    this.roundKeyCache = { gameId: this.gameId, roundIndex: this.roundIndex, key };
    return key;
  }

  private countRole(role: PlayerRole): number {
    let n = 0;
    for (const m of this.members.values()) if (m.role === role) n++;
    return n;
  }

  private pickHost(excludeId: string, connectedOnly: boolean): Member | null {
    const candidates = [...this.members.values()]
      .filter((m) => m.id !== excludeId && (!connectedOnly || m.connected))
      .sort((a, b) => (a.role === b.role ? a.joinedSeq - b.joinedSeq : a.role === 'player' ? -1 : 1));
    return candidates[0] ?? null;
  }

  private remove(id: string, reason: RemovalReason): void {
    const m = this.members.get(id);
    if (!m) return;
    if (m.graceTimer) this.deps.clock.clearTimeout(m.graceTimer);
    this.members.delete(id);
    if (this.hostIdValue === id) {
      const next = this.pickHost(id, true) ?? this.pickHost(id, false);
      this.hostIdValue = next?.id ?? null;
    }
    this.deps.listener.memberRemoved(this, id, reason);
    if (this.members.size === 0) {
      this.close();
      this.deps.listener.empty(this);
      return;
    }
    if (this.gameInProgress && ![...this.members.values()].some((x) => x.inGame)) this.abortGame();
    if (this.phaseValue === 'lobby') this.promoteSpectators();
    this.deps.listener.changed(this);
  }

  /**
   * A returning member asked for a role; the seat rules of a new member apply. Spectator
   * (the caller checked a spectator seat is free): a player stops playing at once and
   * leaves a running game (which ends when nobody plays it any more), their seat going,
   * in the lobby, to a spectator who wants to play; they are not promoted again. Player:
   * a spectator takes a free player seat (waiting for the next game while one runs), else
   * stays a spectator who wants to play and is promoted when a seat frees between games.
   */
  private applyWantedRole(m: Member, want: PlayerRole): void {
    m.wantsToPlay = want === 'player';
    if (want === m.role) return;
    if (want === 'spectator') {
      m.role = 'spectator';
      m.inGame = false;
      m.waiting = false;
      m.scorer = null;
      if (this.gameInProgress && ![...this.members.values()].some((x) => x.inGame)) this.abortGame();
      if (this.phaseValue === 'lobby') this.promoteSpectators();
    } else if (this.countRole('player') < MAX_PLAYERS_PER_ROOM) {
      m.role = 'player';
      m.waiting = this.phaseValue !== 'lobby';
    }
  }

  /** Between games, spectators who wanted to play take free player seats. */
  private promoteSpectators(): void {
    let free = MAX_PLAYERS_PER_ROOM - this.countRole('player');
    const spectators = [...this.members.values()]
      .filter((m) => m.role === 'spectator' && m.wantsToPlay)
      .sort((a, b) => a.joinedSeq - b.joinedSeq);
    for (const s of spectators) {
      if (free <= 0) break;
      s.role = 'player';
      free--;
    }
  }

  private clearPhaseTimer(): void {
    if (this.phaseTimer) this.deps.clock.clearTimeout(this.phaseTimer);
    this.phaseTimer = null;
  }

  private enterPhase(phase: Phase, durationMs: number | null, next: (() => void) | null): void {
    this.clearPhaseTimer();
    this.phaseValue = phase;
    this.phaseEndsAt = durationMs === null ? null : this.deps.clock.now() + durationMs;
    if (durationMs !== null && next) this.phaseTimer = this.deps.clock.setTimeout(next, durationMs);
    this.deps.listener.changed(this);
  }

  private enterCountdown(): void {
    this.roundIndex++;
    this.prompt = drawPrompt(this.settingsValue.emotions, this.prompt, this.deps.random);
    for (const m of this.members.values()) m.scorer = null;
    this.enterPhase('countdown', this.deps.timings.countdownMs, () => this.startRound());
  }

  private startRound(): void {
    const roundMs = this.settingsValue.roundSeconds * 1000;
    this.roundStartedAt = this.deps.clock.now();
    for (const m of this.members.values()) {
      m.scorer = m.inGame ? new RoundScorer(this.deps.scoring, this.roundStartedAt, roundMs) : null;
      m.liveness.reset();
    }
    this.enterPhase('round', roundMs, () => this.endRound(false));
  }

  private endRound(finishGameNow: boolean): void {
    const prompt = this.prompt as Emotion;
    const entries: RoundResultEntry[] = [];
    for (const m of this.members.values()) {
      if (!m.inGame) continue;
      const r = m.scorer?.result() ?? { points: 0, peak: 0, reachedAfterMs: null };
      m.score += r.points;
      m.bests[prompt] = Math.max(m.bests[prompt] ?? 0, r.peak);
      m.scorer = null;
      entries.push({
        playerId: m.id,
        nickname: m.nickname,
        points: r.points,
        totalScore: m.score,
        peak: round3(r.peak),
      });
    }
    entries.sort((a, b) => b.points - a.points || b.totalScore - a.totalScore);
    const results: RoundResults = { index: this.roundIndex, prompt, entries };
    this.lastRoundValue = results;
    const last = finishGameNow || this.roundIndex + 1 >= this.settingsValue.rounds;
    if (last) {
      this.enterPhase('roundResults', null, null);
      this.deps.listener.roundResults(this, results);
      this.finishGame(this.roundIndex + 1);
    } else {
      this.enterPhase('roundResults', this.deps.timings.roundResultsMs, () => this.enterCountdown());
      this.deps.listener.roundResults(this, results);
    }
  }

  private finishGame(roundsPlayed: number): void {
    const players = [...this.members.values()].filter((m) => m.inGame).sort((a, b) => b.score - a.score);
    const entries: FinalStandingEntry[] = [];
    players.forEach((m, i) => {
      const prev = entries[i - 1];
      entries.push({
        rank: prev && prev.totalScore === m.score ? prev.rank : i + 1,
        playerId: m.id,
        nickname: m.nickname,
        totalScore: m.score,
        averagePerRound: roundsPlayed > 0 ? Math.round((m.score / roundsPlayed) * 10) / 10 : 0,
      });
    });
    const standings: FinalStandings = { gameId: this.gameId as string, rounds: roundsPlayed, entries };
    const record: GameRecord = {
      id: this.gameId as string,
      roomCode: this.code,
      startedAt: this.gameStartedAt,
      finishedAt: this.deps.clock.now(),
      rounds: roundsPlayed,
      settings: this.settings,
      ranked: isRankedGame(
        roundsPlayed,
        players.map((m) => ({ addressKey: m.address, score: m.score })),
      ),
      players: players.map((m) => ({
        playerId: m.id,
        nickname: m.nickname,
        score: m.score,
        addressKey: m.address,
        perEmotionBest: { ...m.bests },
      })),
    };
    this.finalValue = standings;
    this.enterPhase('finalResults', this.deps.timings.finalResultsMs, () => this.backToLobby());
    this.deps.listener.gameFinished(this, standings, record);
  }

  private abortGame(): void {
    this.backToLobby();
  }

  private returnToLobbyState(): void {
    for (const m of this.members.values()) {
      m.inGame = false;
      m.waiting = false;
      m.scorer = null;
    }
  }

  private backToLobby(): void {
    this.returnToLobbyState();
    this.gameId = null;
    this.roundIndex = -1;
    this.prompt = null;
    this.promoteSpectators();
    this.enterPhase('lobby', null, null);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
