/** The leaderboard store, behind an interface so Redis/Postgres stores can be added later. */

import { type LeaderboardEntry, type LeaderboardPeriod, PLAYER_TAG_LENGTH } from '../../shared/protocol.ts';
import type { GameRecord } from '../game/game-record.ts';

export type { GamePlayerRecord, GameRecord } from '../game/game-record.ts';

/** Games of fewer rounds do not qualify for the best-average ranking. */
export const MIN_RANKED_ROUNDS = 3;

export const PERIOD_MS: Readonly<Record<LeaderboardPeriod, number | null>> = {
  all: null,
  day: 24 * 60 * 60 * 1000,
  week: 7 * 24 * 60 * 60 * 1000,
};

export interface LeaderboardQuery {
  period: LeaderboardPeriod;
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
   * Players ranked by best average points per round over games of at least
   * MIN_RANKED_ROUNDS rounds finished in the period, with games played and total
   * points in that period; shown with the player's latest nickname.
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
