/** What a finished game leaves behind for the leaderboard. Produced by the core, stored by a store. */
import type { Emotion } from '../../shared/emotions.ts';
import type { GameSettings } from '../../shared/protocol.ts';

export interface GamePlayerRecord {
  /** Public id derived from the player token. */
  playerId: string;
  nickname: string;
  score: number;
  /**
   * One-way key of the player's network address (ranking.ts addressKey); UNKNOWN_ADDRESS when
   * not known. Absent in games stored before identities were tied to addresses.
   */
  addressKey?: string;
  /** Best held probability reached per prompted emotion in this game, 0..1. */
  perEmotionBest: Partial<Record<Emotion, number>>;
}

export interface GameRecord {
  id: string;
  roomCode: string;
  startedAt: number;
  finishedAt: number;
  /** Rounds actually played (fewer than settings.rounds when the server shut down mid-game). */
  rounds: number;
  settings: GameSettings;
  /** Counts for the ranked board (ranking.ts isRankedGame); absent in games stored before that rule. */
  ranked?: boolean;
  players: GamePlayerRecord[];
}
