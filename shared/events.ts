/**
 * The Socket.IO contract. Event names are `domain:verb`. Every client event that
 * takes a callback is acknowledged with `Ack<T>` (success-or-error union).
 * See docs/protocol.md for the prose description.
 */
import type {
  DonationConsentRequest,
  DonationConsentResult,
  DonationDeleteRequest,
  DonationDeleteResult,
} from './donations.ts';
import type {
  AckCallback,
  FinalStandings,
  FramePayload,
  FrameResult,
  GameSettings,
  JoinResult,
  LeaderboardBoard,
  LeaderboardEntry,
  LeaderboardPeriod,
  PlayerRole,
  ProtocolError,
  ProtocolVersion,
  RoomState,
  RoomStatePatch,
  RoundResults,
} from './protocol.ts';

export interface CreateRoomRequest {
  nickname: string;
  playerToken: string;
  settings?: Partial<GameSettings>;
  /**
   * Requested role (additive, optional). 'spectator' lets a browser without a usable camera
   * watch the game without counting as a player; absent means 'player' (server may still make
   * a late joiner a spectator when the room is full).
   */
  role?: PlayerRole;
}

export interface JoinRoomRequest {
  code: string;
  nickname: string;
  playerToken: string;
  /** Requested role, as in CreateRoomRequest. */
  role?: PlayerRole;
}

export interface KickRequest {
  playerId: string;
}

export interface LeaderboardRequest {
  period: LeaderboardPeriod;
  limit?: number;
  /** Which board; absent means 'ranked'. */
  board?: LeaderboardBoard;
}

export interface ClientToServerEvents {
  'room:create': (req: CreateRoomRequest, ack: AckCallback<JoinResult>) => void;
  'room:join': (req: JoinRoomRequest, ack: AckCallback<JoinResult>) => void;
  'room:leave': (ack?: AckCallback<null>) => void;
  'room:settings': (settings: Partial<GameSettings>, ack: AckCallback<GameSettings>) => void;
  'room:kick': (req: KickRequest, ack: AckCallback<null>) => void;
  'game:start': (ack: AckCallback<null>) => void;
  /**
   * The ack is optional so that a client may stream without round trips. With one, refusals arrive on it
   * (protocol 1); without one, a protocol 2 client gets every answer as frame:result (shared/protocol.ts).
   */
  'frame:send': (frame: FramePayload, ack?: AckCallback<null>) => void;
  'leaderboard:get': (req: LeaderboardRequest, ack: AckCallback<LeaderboardEntry[]>) => void;
  /** Opt this connection in or out of frame donation (docs/privacy.md). */
  'donation:consent': (req: DonationConsentRequest, ack: AckCallback<DonationConsentResult>) => void;
  /** Deletes every crop donated under this token; answers how many were deleted. */
  'donation:delete': (req: DonationDeleteRequest, ack: AckCallback<DonationDeleteResult>) => void;
}

export interface ServerToClientEvents {
  'room:state': (state: RoomState) => void;
  /** Protocol 2 only: a change to the last room:state (shared/room-patch.ts applies it). */
  'room:patch': (patch: RoomStatePatch) => void;
  'room:kicked': (info: { reason: string }) => void;
  'round:results': (results: RoundResults) => void;
  'game:final': (standings: FinalStandings) => void;
  'frame:result': (result: FrameResult) => void;
  'server:error': (error: ProtocolError) => void;
}

export type ClientEvent = keyof ClientToServerEvents;
export type ServerEvent = keyof ServerToClientEvents;

/**
 * Every client event, as a value: the server answers an event that is not here with
 * INVALID_PAYLOAD. Typed as a record over the event map, so an event added to
 * ClientToServerEvents and not here (or the reverse) does not compile.
 */
const CLIENT_EVENT_SET: Readonly<Record<ClientEvent, true>> = {
  'room:create': true,
  'room:join': true,
  'room:leave': true,
  'room:settings': true,
  'room:kick': true,
  'game:start': true,
  'frame:send': true,
  'leaderboard:get': true,
  'donation:consent': true,
  'donation:delete': true,
};

export const CLIENT_EVENTS: readonly ClientEvent[] = Object.keys(CLIENT_EVENT_SET) as ClientEvent[];

export function isClientEvent(name: unknown): name is ClientEvent {
  return typeof name === 'string' && Object.hasOwn(CLIENT_EVENT_SET, name);
}

/** The data type of an event's acknowledgement (`never` for an event without one). */
export type AckDataOf<E extends ClientEvent> =
  // Required: an optional acknowledgement (frame:send, room:leave) is still the last parameter.
  Required<Parameters<ClientToServerEvents[E]>> extends [...unknown[], infer Last]
    ? NonNullable<Last> extends AckCallback<infer T>
      ? T
      : never
    : never;

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  /** The protocol version the client asked for in its handshake (server/net/protocol-version.ts). */
  protocol?: ProtocolVersion;
  playerToken?: string;
  playerId?: string;
  roomCode?: string;
}
