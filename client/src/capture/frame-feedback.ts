/**
 * Whether our frames count, and if not, why — in words a player can act on. Fed with what we
 * sent and the server's answers: frame:result scores, and refusals (the error code a protocol 2
 * frame:result carries in `refused`, as the protocol 1 frame:send acknowledgement did); read
 * by the round view for its hint line and by the camera box, which is green only while frames
 * count. Pure, with an injected clock.
 */
import type { ErrorCode, FrameResult } from '../../../shared/protocol.ts';

export type FrameHintKind = 'not-counted' | 'wrong-phase' | 'rate-limited' | 'not-a-player' | 'no-result';

export interface FrameFeedbackState {
  /** The latest answer counted and is recent: the only state in which the camera box is green. */
  counting: boolean;
  hint: FrameHintKind | null;
  /** The line shown to the player, null with no hint. */
  message: string | null;
}

/** Without an answer for this long while sending, the player is told. */
export const NO_RESULT_MS = 2000;
/** A refusal is news for this long (newer counted results clear it sooner). */
const REFUSAL_FRESH_MS = 2000;

export const FRAME_HINTS: Record<FrameHintKind, string> = {
  'not-counted': "Your picture isn't changing — is the camera frozen? Frames of a still picture don't count.",
  'wrong-phase': 'The round is not running: frames are not scored right now.',
  'rate-limited': 'Sending too fast: the server dropped some frames.',
  'not-a-player': 'You joined mid-game: you play from the next game.',
  'no-result': 'No answer from the server for a few seconds: your frames may not be reaching it.',
};

/** Server reasons a frame did not count (FrameResult.reason): a replay is also what a frozen camera sends. */
const REASON_TEXT: Record<string, string> = {
  replay: "Your picture isn't changing — is the camera frozen? A picture shown again doesn't count.",
};

export class FrameFeedback {
  private sendingSince: number | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastAnswerAt = Number.NEGATIVE_INFINITY;
  private lastCounted = false;
  private lastReason: string | null = null;
  private refusal: { code: ErrorCode; at: number } | null = null;

  constructor(private readonly now: () => number) {}

  /** Sending turned on or off (round start/end, face lost): old answers no longer apply. */
  setSending(on: boolean): void {
    if (on && this.sendingSince === null) {
      this.sendingSince = this.now();
      this.lastAnswerAt = Number.NEGATIVE_INFINITY;
      this.lastCounted = false;
      this.lastReason = null;
      this.refusal = null;
    } else if (!on) {
      this.sendingSince = null;
    }
  }

  sent(): void {
    this.lastSentAt = this.now();
  }

  result(r: FrameResult): void {
    if (r.refused) {
      // Superseded by our own newer frame: not an answer (if none of them is scored, "no answer" shows).
      if (r.refused.code !== 'STALE') this.refused(r.refused.code);
      return;
    }
    this.lastAnswerAt = this.now();
    this.lastCounted = r.counted;
    this.lastReason = r.counted ? null : (r.reason ?? null);
    if (r.counted) this.refusal = null;
  }

  refused(code: ErrorCode): void {
    const at = this.now();
    this.lastAnswerAt = at;
    this.lastCounted = false;
    this.refusal = { code, at };
  }

  state(): FrameFeedbackState {
    const t = this.now();
    if (this.sendingSince === null) return { counting: false, hint: null, message: null };
    const refusal = this.refusal && t - this.refusal.at <= REFUSAL_FRESH_MS ? this.refusal : null;
    if (refusal) {
      const kind = refusalHint(refusal.code);
      if (kind) return { counting: false, hint: kind, message: FRAME_HINTS[kind] };
    }
    const fresh = t - this.lastAnswerAt <= NO_RESULT_MS;
    if (fresh && this.lastCounted) return { counting: true, hint: null, message: null };
    if (fresh && !this.lastCounted && !refusal) {
      const text = (this.lastReason && REASON_TEXT[this.lastReason]) ?? FRAME_HINTS['not-counted'];
      return { counting: false, hint: 'not-counted', message: text };
    }
    // Nothing back for a while although we have been sending all along.
    const waitingSince = Math.max(this.sendingSince, this.lastAnswerAt);
    if (t - this.lastSentAt <= NO_RESULT_MS && t - waitingSince > NO_RESULT_MS) {
      return { counting: false, hint: 'no-result', message: FRAME_HINTS['no-result'] };
    }
    return { counting: false, hint: null, message: null };
  }
}

function refusalHint(code: ErrorCode): FrameHintKind | null {
  switch (code) {
    case 'WRONG_PHASE':
      return 'wrong-phase';
    case 'RATE_LIMITED':
      return 'rate-limited';
    case 'NOT_A_PLAYER':
      return 'not-a-player';
    default:
      return null;
  }
}
