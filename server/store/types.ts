/** The leaderboard store, behind an interface so Redis/Postgres stores can be added later. */

import { lookalikeFlags } from '../../shared/nickname.ts';
import {
  type LeaderboardBoard,
  type LeaderboardEntry,
  type LeaderboardPeriod,
  PLAYER_TAG_LENGTH,
} from '../../shared/protocol.ts';
import type { GamePlayerRecord, GameRecord } from '../game/game-record.ts';
import { DEFAULT_RANKING, mayRegisterIdentity, UNKNOWN_ADDRESS } from '../game/ranking.ts';

export type { GamePlayerRecord, GameRecord } from '../game/game-record.ts';

/** Games of fewer rounds do not qualify for the best-average ranking. */
export const MIN_RANKED_ROUNDS = DEFAULT_RANKING.minRounds;

export const PERIOD_MS: Readonly<Record<LeaderboardPeriod, number | null>> = {
  all: null,
  day: 24 * 60 * 60 * 1000,
  week: 7 * 24 * 60 * 60 * 1000,
};

export interface LeaderboardQuery {
  period: LeaderboardPeriod;
  /** 'ranked' (default) or 'practice'; see LEADERBOARD_BOARDS. */
  board?: LeaderboardBoard;
  limit: number;
  /** "Now" for the day/week windows (ms since epoch). */
  now: number;
}

export interface LeaderboardStore {
  readonly kind: string;
  /** Stores a finished game. Saving the same game id twice is a no-op. */
  saveGame(game: GameRecord): Promise<void>;
  getGame(id: string): Promise<GameRecord | null>;
  /**
   * Ranked board (default): registered identities ranked by best average points per round
   * over their ranked games finished in the period (a player's game ranks when
   * GameRecord.ranked, the player scored, and the identity is or gets registered — see
   * rankIdentity), with all their games played and points in the period; shown with the
   * identity's registered name. Ties: more points, then more games.
   * Practice board: every game, shown with the player's latest nickname. On both, entries
   * with no points are left out and `lookalike` marks look-alike names on the returned page.
   */
  leaderboard(query: LeaderboardQuery): Promise<LeaderboardEntry[]>;
  /** Optional health probe: throws when the store cannot be trusted to store games now. */
  check?(): Promise<void>;
  close(): Promise<void>;
}

export function periodStart(query: LeaderboardQuery): number {
  const span = PERIOD_MS[query.period];
  return span === null ? Number.NEGATIVE_INFINITY : query.now - span;
}

/** The disambiguator shown next to look-alike nicknames: the public id's first characters. */
export function playerTag(playerId: string): string {
  return playerId.slice(0, PLAYER_TAG_LENGTH);
}

/** Rounds averages to 0.1 points so both stores report the same numbers. */
export function roundAverage(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * A ranked identity: a player token (by its public id) that has played a ranked game. It is
 * registered then, under the nickname of its first ranked game — its board name for good
 * ("a name once per identity") — and counts against its address's daily quota. `register`
 * results are upserts: a stored identity is replaced only by an earlier registration.
 */
export interface RankedIdentity {
  playerId: string;
  boardName: string;
  addressKey: string;
  registeredAt: number;
}

/**
 * Whether this player's game counts on the ranked board, and the identity to register for it
 * when it is the identity's first ranked game. `known` is the identity if registered already;
 * `addressRegistrations` the registration times of identities from the player's address.
 * Every store applies this rule inside the transaction that saves the game.
 */
export function rankIdentity(
  game: Pick<GameRecord, 'ranked' | 'rounds' | 'finishedAt'>,
  player: GamePlayerRecord,
  known: RankedIdentity | null,
  addressRegistrations: readonly number[],
): { ranked: boolean; register: RankedIdentity | null } {
  if (!game.ranked || player.score <= 0 || game.rounds < MIN_RANKED_ROUNDS) return { ranked: false, register: null };
  // The name is the one of the identity's first ranked game by finish time, whatever order games are saved in.
  if (known) {
    const earlier = game.finishedAt < known.registeredAt;
    return {
      ranked: true,
      register: earlier ? { ...known, boardName: player.nickname, registeredAt: game.finishedAt } : null,
    };
  }
  const address = player.addressKey ?? UNKNOWN_ADDRESS;
  if (address === UNKNOWN_ADDRESS || !mayRegisterIdentity(addressRegistrations, game.finishedAt, DEFAULT_RANKING)) {
    return { ranked: false, register: null };
  }
  return {
    ranked: true,
    register: {
      playerId: player.playerId,
      boardName: player.nickname,
      addressKey: address,
      registeredAt: game.finishedAt,
    },
  };
}

/** Sets `lookalike` on entries whose nickname looks like another entry's on the same page. */
export function markLookalikes(entries: LeaderboardEntry[]): LeaderboardEntry[] {
  const flags = lookalikeFlags(entries.map((e) => e.nickname));
  return entries.map((e, i) => ({ ...e, lookalike: flags[i] ?? false }));
}
