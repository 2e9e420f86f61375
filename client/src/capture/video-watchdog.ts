/**
 * Keeps the camera picture live and says when it is not. The capture loop asks it before every
 * frame: a detached element is put back, a paused one resumed, an ended track restarted, and a
 * video clock that has not moved for `stallMs` while it matters (a round runs) makes frames
 * stop — a frozen picture would only send the same bytes again, which the server rightly does
 * not count. Pure apart from the injected video, track, clock and actions (unit-tested with fakes).
 */

export interface WatchedVideo {
  readonly paused: boolean;
  readonly isConnected: boolean;
  readonly currentTime: number;
  readonly readyState: number;
}

export interface WatchedTrack {
  readonly readyState: 'live' | 'ended';
}

export type VideoProblem = 'paused' | 'detached' | 'ended' | 'stalled';

export interface VideoHealth {
  /** Frames may be read from the video now. */
  live: boolean;
  problem: VideoProblem | null;
  /** How long the video clock has not moved, ms. */
  stalledMs: number;
  /** Camera restarts the watchdog asked for so far (diagnosis). */
  restarts: number;
}

export interface WatchdogDeps {
  video: WatchedVideo;
  /** The current video track, null while no camera is open. */
  track: () => WatchedTrack | null;
  now: () => number;
  /** Moves the video back into the page. */
  redock: () => void;
  /** Calls play() on the video. */
  resume: () => void;
  /** Opens the camera again (new stream). */
  restart: () => void;
  /** The clock may stand still this long before the picture counts as frozen. */
  stallMs?: number;
  /** A stall this long (resume did not help) restarts the camera. */
  restartAfterMs?: number;
  /** At most one restart per this many ms (a camera that keeps failing is reported, not hammered). */
  minRestartGapMs?: number;
}

/** HTMLMediaElement.HAVE_CURRENT_DATA, spelled out so this runs outside a browser. */
const HAVE_CURRENT_DATA = 2;

export class VideoWatchdog {
  private lastTime = Number.NaN;
  private lastAdvanceAt: number;
  private lastRestartAt = Number.NEGATIVE_INFINITY;
  private restarts = 0;
  private readonly stallMs: number;
  private readonly restartAfterMs: number;
  private readonly minRestartGapMs: number;

  constructor(private readonly deps: WatchdogDeps) {
    this.stallMs = deps.stallMs ?? 1000;
    this.restartAfterMs = deps.restartAfterMs ?? 3000;
    this.minRestartGapMs = deps.minRestartGapMs ?? 10_000;
    this.lastAdvanceAt = deps.now();
  }

  /** A new stream: its clock starts afresh. */
  reset(): void {
    this.lastTime = Number.NaN;
    this.lastAdvanceAt = this.deps.now();
  }

  /** The browser presented a new video frame (requestVideoFrameCallback): the picture is moving. */
  framePresented(): void {
    this.lastAdvanceAt = this.deps.now();
  }

  /**
   * Checks the video and repairs what it can. `strict`: a round runs, so a standing clock
   * means a frozen picture (between rounds a short stall is harmless and only resumed).
   */
  check(strict: boolean): VideoHealth {
    const { video, now } = this.deps;
    const t = now();
    const track = this.deps.track();
    if (!track) return this.report(false, null, 0);
    if (track.readyState === 'ended') {
      this.maybeRestart(t);
      return this.report(false, 'ended', t - this.lastAdvanceAt);
    }
    if (!video.isConnected) {
      this.deps.redock();
      return this.report(false, 'detached', t - this.lastAdvanceAt);
    }
    if (video.paused) {
      this.deps.resume();
      this.noteClock(t);
      const stalled = t - this.lastAdvanceAt;
      if (stalled >= this.restartAfterMs) this.maybeRestart(t);
      return this.report(false, 'paused', stalled);
    }
    this.noteClock(t);
    const stalled = t - this.lastAdvanceAt;
    if (video.readyState < HAVE_CURRENT_DATA) return this.report(false, null, stalled);
    if (stalled >= this.stallMs) {
      this.deps.resume();
      if (stalled >= this.restartAfterMs) this.maybeRestart(t);
      // Between rounds a still clock only matters once it lasts (a busy tab can skip a second).
      if (strict || stalled >= this.restartAfterMs) return this.report(false, 'stalled', stalled);
    }
    return this.report(true, null, stalled);
  }

  private noteClock(t: number): void {
    const time = this.deps.video.currentTime;
    if (time !== this.lastTime) {
      // The first reading only sets the baseline.
      if (!Number.isNaN(this.lastTime)) this.lastAdvanceAt = t;
      this.lastTime = time;
    }
  }

  private maybeRestart(t: number): void {
    if (t - this.lastRestartAt < this.minRestartGapMs) return;
    this.lastRestartAt = t;
    this.restarts++;
    this.deps.restart();
  }

  private report(live: boolean, problem: VideoProblem | null, stalledMs: number): VideoHealth {
    return { live, problem, stalledMs: Math.max(0, stalledMs), restarts: this.restarts };
  }
}
