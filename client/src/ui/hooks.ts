/** window.__arena: read-only numbers for the e2e tests and curious players (no canvas scraping). */

import type { FinalStandings, FrameResult, LeaderboardEntry, RoomState, SelfInfo } from '../../../shared/protocol.ts';
import type { CaptureStatus } from '../capture/capture-status.ts';
import type { DetectorInfo } from '../capture/face-detector.ts';

export interface ArenaHook {
  scene: string;
  capture: CaptureStatus | null;
  detector: DetectorInfo | null;
  room: RoomState | null;
  self: SelfInfo | null;
  lastFrameResult: FrameResult | null;
  frameResults: number;
  connection: string;
  leaderboard: LeaderboardEntry[] | null;
  /** Standings of the last finished game. */
  final: FinalStandings | null;
  /** The last 48×48 frame sent, for inspecting the crop (base64 of 2304 bytes). */
  lastFrameBase64: () => string | null;
}

declare global {
  interface Window {
    __arena?: ArenaHook;
  }
}
