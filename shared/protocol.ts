import type { Emotion } from './emotions.ts';

/** Room codes avoid look-alike characters (no I, L, O, 0, 1). */
export const ROOM_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const ROOM_CODE_LENGTH = 5;
export const MAX_PLAYERS_PER_ROOM = 16;
export const MAX_SPECTATORS_PER_ROOM = 32;

export const NICKNAME_MIN_LENGTH = 2;
export const NICKNAME_MAX_LENGTH = 16;
/** Letters (any script), digits, space, underscore, dash, dot. */
export const NICKNAME_PATTERN = /^[\p{L}\p{N} _.-]+$/u;

export const PLAYER_TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * Wire protocol versions, chosen by the client in its handshake: `io(url, { auth: { v: 4 } })`
 * (or `?v=4`); absent means 1. They differ only in how frames travel (docs/protocol.md):
 * 1 — `frame:send` with an acknowledgement (accepted or refused), then `frame:result` when scored;
 * 2 — `frame:send` without one, and exactly one `frame:result` per frame, scored or refused; room
 *     state as patches between whole states;
 * 3 — as 2, but each frame is one binary message (shared/frame-packet.ts) instead of a Socket.IO
 *     event with an attachment (two messages). Everything the server sends is as in 2.
 * 4 — as 3, but a room:patch rides on the player's next frame:result (`FrameResult.patch`)
 *     instead of travelling as a message of its own, whenever the player is sending frames: one
 *     message per frame where 3 takes about two (the answer and a share of the room's meters).
 */
export const PROTOCOL_VERSIONS = [1, 2, 3, 4] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];
export const LATEST_PROTOCOL_VERSION: ProtocolVersion = 4;

/**
 * The version `v` names: exactly a known number, or its decimal string (a query string or a
 * command line has only strings). `'02'`, `[2]` or `2.0` as a string name none.
 */
export function protocolVersionNamed(v: unknown): ProtocolVersion | undefined {
  return PROTOCOL_VERSIONS.find((known) => v === known || v === String(known));
}

/** Versions 2 and later answer every frame in frame:result (no acknowledgement needed). */
export function answersFramesInResult(v: ProtocolVersion): boolean {
  return v >= 2;
}

/**
 * How room state reaches a client: whole states only (version 1), patches between them (2, 3), or
 * patches carried by the client's frame results where it has one coming, on their own otherwise (4).
 */
export const ROOM_STATE_FORMATS = ['whole', 'patches', 'patches-in-results'] as const;
export type RoomStateFormat = (typeof ROOM_STATE_FORMATS)[number];
export function roomStateFormat(v: ProtocolVersion): RoomStateFormat {
  if (v >= 4) return 'patches-in-results';
  return v >= 2 ? 'patches' : 'whole';
}

/** Versions 3 and later send each frame as one binary message (shared/frame-packet.ts). */
export function sendsFramePackets(v: ProtocolVersion): boolean {
  return v >= 3;
}

export const CLIENT_FRAME_RATE = 5;
export const SERVER_FRAME_RATE_LIMIT = 10;
export const MAX_MESSAGE_BYTES = 16 * 1024;
export const RECONNECT_GRACE_MS = 60_000;
/**
 * Room states (meters) per second per room at most. A player's meter moves only when one of their
 * frames is scored (CLIENT_FRAME_RATE a second) and the client eases meters between updates, so
 * more would only multiply socket writes: at 8 players a room, state messages were two thirds of
 * a node's writes at 10 per second (docs/capacity.md).
 */
export const STATE_BROADCAST_HZ = 5;

export const GAME_LIMITS = {
  rounds: { min: 1, max: 20, default: 5 },
  roundSeconds: { min: 5, max: 60, default: 10 },
  countdownSeconds: 3,
  roundResultsSeconds: 5,
} as const;

export const PHASES = ['lobby', 'countdown', 'round', 'roundResults', 'finalResults'] as const;
export type Phase = (typeof PHASES)[number];

export const ERROR_CODES = {
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  ROOM_NOT_FOUND: 'ROOM_NOT_FOUND',
  ROOM_FULL: 'ROOM_FULL',
  NICKNAME_INVALID: 'NICKNAME_INVALID',
  NICKNAME_TAKEN: 'NICKNAME_TAKEN',
  NOT_IN_ROOM: 'NOT_IN_ROOM',
  ALREADY_IN_ROOM: 'ALREADY_IN_ROOM',
  NOT_HOST: 'NOT_HOST',
  WRONG_PHASE: 'WRONG_PHASE',
  KICKED: 'KICKED',
  RATE_LIMITED: 'RATE_LIMITED',
  FRAME_INVALID: 'FRAME_INVALID',
  NOT_A_PLAYER: 'NOT_A_PLAYER',
  UNAVAILABLE: 'UNAVAILABLE',
  /** Sent as server:error to every client when the server shuts down (restart, deploy). */
  SERVER_RESTARTING: 'SERVER_RESTARTING',
  /** (protocol 2 `frame:result` only) a newer frame of the same player replaced this one before the model got to it. */
  STALE: 'STALE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface ProtocolError {
  code: ErrorCode;
  message: string;
}

/** Every acknowledgement is a success-or-error union. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ProtocolError };
export type AckCallback<T> = (response: Ack<T>) => void;

export interface GameSettings {
  rounds: number;
  roundSeconds: number;
  /** Emotions the game may prompt; at least one. */
  emotions: Emotion[];
}

export type PlayerRole = 'player' | 'spectator';

export interface PlayerView {
  /** Public id (never the secret player token). */
  id: string;
  nickname: string;
  role: PlayerRole;
  isHost: boolean;
  connected: boolean;
  score: number;
  /** Live match with the prompted emotion, 0..1 (smoothed); 0 outside rounds. */
  meter: number;
  /** True when the player joined mid-game and waits for the next game. */
  waiting: boolean;
}

export interface RoundView {
  /** 0-based index of the current (or last) round. */
  index: number;
  total: number;
  prompt: Emotion | null;
  /** Milliseconds left in the current phase, by the server's clock. */
  timeLeftMs: number;
}

export interface RoomState {
  code: string;
  phase: Phase;
  hostId: string | null;
  settings: GameSettings;
  players: PlayerView[];
  round: RoundView | null;
  /** Server time (ms since epoch) at which this snapshot was taken. */
  serverTime: number;
  /**
   * Revision of this room's broadcast state, increasing with every room:state and room:patch
   * (absent in a snapshot that was not broadcast). A room:patch applies only on top of its `base`.
   */
  rev?: number;
}

/** A player's fields that a room:patch may change; any other change is sent as a whole room:state. */
export const PATCHABLE_PLAYER_FIELDS = ['connected', 'score', 'meter', 'isHost', 'waiting'] as const;
export type PatchablePlayerField = (typeof PATCHABLE_PLAYER_FIELDS)[number];

/**
 * Protocol 2: the room's state since revision `base`, when only players' live fields and the
 * clock moved (the meters and scores of a running round). Everything else — phase, settings,
 * players joining, leaving or renamed — comes as a whole room:state, and so does every tenth
 * broadcast, so a client that could not apply a patch is whole again within a second.
 */
export interface RoomStatePatch {
  code: string;
  /** The revision this patch applies to. */
  base: number;
  /** The revision it makes. */
  rev: number;
  serverTime: number;
  /** `round.timeLeftMs` at `serverTime`, when the state has a round. */
  timeLeftMs?: number;
  /** `[index in players, the fields that changed]`. */
  players: [number, Partial<Pick<PlayerView, PatchablePlayerField>>][];
}

export interface SelfInfo {
  playerId: string;
  role: PlayerRole;
}

export interface JoinResult {
  self: SelfInfo;
  state: RoomState;
  /** The last round's and game's results, for a reconnecting player. */
  lastRound: RoundResults | null;
  final: FinalStandings | null;
}

export interface RoundResultEntry {
  playerId: string;
  nickname: string;
  /** Points earned in this round. */
  points: number;
  totalScore: number;
  /** Best held (smoothed) probability of the prompt during the round, 0..1. */
  peak: number;
}

export interface RoundResults {
  index: number;
  prompt: Emotion;
  entries: RoundResultEntry[];
}

export interface FinalStandingEntry {
  rank: number;
  playerId: string;
  nickname: string;
  totalScore: number;
  averagePerRound: number;
}

export interface FinalStandings {
  gameId: string;
  rounds: number;
  entries: FinalStandingEntry[];
  /**
   * Present when the game could not be stored on the leaderboard: why, in words for players
   * (shown as "result not saved: …"). The server keeps the game and adds it once the store is back.
   */
  notSaved?: string;
}

export const LEADERBOARD_PERIODS = ['all', 'day', 'week'] as const;
export type LeaderboardPeriod = (typeof LEADERBOARD_PERIODS)[number];
export const LEADERBOARD_MAX_LIMIT = 100;
/**
 * 'ranked': games of ≥ 3 rounds with ≥ 2 players from different network addresses, by
 * identities registered within the per-address quota (docs/scoring.md, "Leaderboard").
 * 'practice': every stored game, solo ones included; anyone can fill it, so it proves nothing.
 */
export const LEADERBOARD_BOARDS = ['ranked', 'practice'] as const;
export type LeaderboardBoard = (typeof LEADERBOARD_BOARDS)[number];
/** Characters of the public id shown as a disambiguator next to look-alike nicknames. */
export const PLAYER_TAG_LENGTH = 4;

export interface LeaderboardEntry {
  rank: number;
  /** Public id derived from the player token. */
  playerId: string;
  nickname: string;
  gamesPlayed: number;
  totalPoints: number;
  /** Best average points per round over a game of at least 3 rounds. */
  bestAveragePerRound: number;
  /** The public id's first PLAYER_TAG_LENGTH characters, shown as "Alice #k3F9" when `lookalike`. */
  tag: string;
  /** True when another identity on this board has a look-alike nickname (same skeleton): show `tag`. */
  lookalike: boolean;
}

export interface FrameResult {
  seq: number;
  /** 7 probabilities in FER2013 order. */
  probabilities: number[];
  /** The meter: the prompted emotion's probability through the model's per-emotion meter map (docs/scoring.md); 0 outside rounds. */
  match: number;
  /** False when the frame was not counted (e.g. replayed still image). */
  counted: boolean;
  /** Why, when a scored frame did not count. */
  reason?: UncountedReason;
  /**
   * Protocol 2: the frame was not scored, and why (WRONG_PHASE, NOT_A_PLAYER, RATE_LIMITED,
   * FRAME_INVALID, STALE…). Then `probabilities` is empty, `match` 0 and `counted` false.
   * Protocol 1 clients get these on the frame:send acknowledgement instead, and no frame:result.
   */
  refused?: ProtocolError;
  /**
   * Protocol 4: the room's latest room:patch, which this client had not been sent yet; applied
   * exactly as a room:patch message (before the result itself). At most one per result.
   */
  patch?: RoomStatePatch;
}

/**
 * Why a frame did not count. 'replay': it repeats a recent frame of this round up to noise
 * or a brightness change (a replayed picture, a few pictures in turn, a looped clip); a
 * camera pointed at a live face never does. The held level built on repeated frames is revoked.
 */
export const UNCOUNTED_REASONS = ['replay'] as const;
export type UncountedReason = (typeof UNCOUNTED_REASONS)[number];

export interface FramePayload {
  /** Client's sequence number, echoed in the FrameResult. Non-negative integer. */
  seq: number;
  /** Exactly FRAME_BYTES bytes (48×48 uint8 grayscale, row-major). */
  data: ArrayBuffer | Uint8Array;
}
