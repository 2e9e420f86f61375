/** window.__arena: read-only numbers for the e2e tests and curious players (no canvas scraping). */

import type {
  ErrorCode,
  FinalStandings,
  FrameResult,
  LeaderboardEntry,
  Phase,
  RoomState,
  RoundResults,
  SelfInfo,
} from '../../../shared/protocol.ts';
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
  /** What this page saw over the session (bounded), so a test can judge every round. */
  history: ArenaHistory;
  /** The hint the round view shows about our frames (null when they count). */
  frameHint: string | null;
  /** Page milestones, ms since navigation (performance.now()). */
  timings: {
    scriptAtMs: number | null;
    rejoinedAtMs: number | null;
    /** The home screen's controls were in the page. */
    interactiveAtMs: number | null;
    /** face-api and tfjs had loaded and picked a backend. */
    detectorReadyAtMs: number | null;
  };
}

/** Times are this page's Date.now(); round is the 0-based round index the room was in. */
export interface ArenaHistory {
  frames: {
    at: number;
    round: number | null;
    seq: number;
    counted: boolean;
    match: number;
    reason: FrameResult['reason'] | null;
  }[];
  /** Frames the server refused (the ack's error code). */
  refused: { at: number; round: number | null; code: ErrorCode }[];
  states: {
    at: number;
    phase: Phase;
    round: number | null;
    timeLeftMs: number;
    meters: Record<string, number>;
    connected: string[];
  }[];
  roundResults: RoundResults[];
  /** Each change of why frames are (not) sent: the capture's paused reason and picture problem. */
  capture: { at: number; paused: CaptureStatus['pausedReason']; problem: CaptureStatus['videoProblem'] }[];
}

/** Entries kept per log: a few minutes of a session at 10 room states per second. */
export const HISTORY_LIMIT = 5000;

export function pushBounded<T>(log: T[], entry: T): void {
  log.push(entry);
  if (log.length > HISTORY_LIMIT) log.splice(0, log.length - HISTORY_LIMIT);
}

declare global {
  interface Window {
    __arena?: ArenaHook;
  }
}
