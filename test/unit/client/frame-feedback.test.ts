/**
 * What the round view tells a player about their frames (frame-feedback.ts), with a fake clock:
 * the camera box is green only while frames count, and each way of not counting has its own
 * plain-words hint.
 */
import { describe, expect, it } from 'vitest';
import { FRAME_HINTS, FrameFeedback, NO_RESULT_MS } from '../../../client/src/capture/frame-feedback.ts';
import type { ErrorCode, FrameResult } from '../../../shared/protocol.ts';

function setUp() {
  let now = 1000;
  const fb = new FrameFeedback(() => now);
  const advance = (ms: number) => {
    now += ms;
  };
  const result = (counted: boolean, reason?: FrameResult['reason']): FrameResult => ({
    seq: 1,
    probabilities: [0, 0, 0, 1, 0, 0, 0],
    match: 1,
    counted,
    ...(reason ? { reason } : {}),
  });
  return { fb, advance, result };
}

describe('frame feedback', () => {
  it('is green while frames count, and says nothing', () => {
    const { fb, advance, result } = setUp();
    fb.setSending(true);
    for (let i = 0; i < 10; i++) {
      fb.sent();
      advance(200);
      fb.result(result(true));
    }
    expect(fb.state()).toEqual({ counting: true, hint: null, message: null });
  });

  it('a replayed (frozen) picture turns the box off green and says the picture is not changing', () => {
    const { fb, advance, result } = setUp();
    fb.setSending(true);
    fb.sent();
    fb.result(result(true));
    advance(200);
    fb.sent();
    fb.result(result(false, 'replay'));
    const s = fb.state();
    expect(s.counting).toBe(false);
    expect(s.hint).toBe('not-counted');
    expect(s.message).toMatch(/isn't changing/);
  });

  it.each([
    ['WRONG_PHASE', 'wrong-phase'],
    ['RATE_LIMITED', 'rate-limited'],
    ['NOT_A_PLAYER', 'not-a-player'],
  ] as const)('a frame refused with %s gets its own hint', (code, hint) => {
    const { fb } = setUp();
    fb.setSending(true);
    fb.sent();
    fb.refused(code);
    expect(fb.state()).toEqual({ counting: false, hint, message: FRAME_HINTS[hint] });
  });

  it('mid-game joiners are told they play from the next game', () => {
    const { fb } = setUp();
    fb.setSending(true);
    fb.refused('NOT_A_PLAYER');
    expect(fb.state().message).toBe('You joined mid-game: you play from the next game.');
  });

  it('no answer for over 2 s while sending: the player is told, and the box is not green', () => {
    const { fb, advance, result } = setUp();
    fb.setSending(true);
    fb.sent();
    fb.result(result(true));
    for (let t = 0; t < NO_RESULT_MS; t += 200) {
      advance(200);
      fb.sent();
    }
    expect(fb.state().hint).toBeNull();
    advance(200);
    fb.sent();
    expect(fb.state()).toMatchObject({ counting: false, hint: 'no-result' });
  });

  it('an old refusal does not outlive counted frames', () => {
    const { fb, advance, result } = setUp();
    fb.setSending(true);
    fb.refused('RATE_LIMITED');
    advance(100);
    fb.sent();
    fb.result(result(true));
    expect(fb.state()).toEqual({ counting: true, hint: null, message: null });
  });

  it('says nothing while not sending (between rounds, no face), and starts afresh each round', () => {
    const { fb, advance, result } = setUp();
    fb.setSending(true);
    fb.result(result(false, 'replay'));
    fb.setSending(false);
    expect(fb.state()).toEqual({ counting: false, hint: null, message: null });
    advance(5000);
    fb.setSending(true);
    expect(fb.state().hint).toBeNull();
  });

  describe('protocol 2: refusals arrive as frame:result', () => {
    const refusedResult = (code: ErrorCode): FrameResult => ({
      seq: 1,
      probabilities: [],
      match: 0,
      counted: false,
      refused: { code, message: 'refused' },
    });

    it('gives each refusal the same hint as the protocol 1 acknowledgement did', () => {
      for (const [code, hint] of [
        ['WRONG_PHASE', 'wrong-phase'],
        ['RATE_LIMITED', 'rate-limited'],
        ['NOT_A_PLAYER', 'not-a-player'],
      ] as const) {
        const viaAck = setUp();
        viaAck.fb.setSending(true);
        viaAck.fb.sent();
        viaAck.fb.refused(code);
        const viaResult = setUp();
        viaResult.fb.setSending(true);
        viaResult.fb.sent();
        viaResult.fb.result(refusedResult(code));
        expect(viaResult.fb.state()).toEqual(viaAck.fb.state());
        expect(viaResult.fb.state()).toMatchObject({ counting: false, hint });
      }
    });

    it('frames only ever superseded (STALE) are no answer: after 2 s the player hears "no answer"', () => {
      const { fb, advance } = setUp();
      fb.setSending(true);
      for (let t = 0; t <= NO_RESULT_MS; t += 200) {
        fb.sent();
        fb.result(refusedResult('STALE'));
        advance(200);
      }
      fb.sent();
      expect(fb.state()).toMatchObject({ counting: false, hint: 'no-result', message: FRAME_HINTS['no-result'] });
    });

    it('a STALE answer between counted results keeps the box green', () => {
      const { fb, advance, result } = setUp();
      fb.setSending(true);
      fb.sent();
      fb.result(result(true));
      advance(200);
      fb.sent();
      fb.result(refusedResult('STALE'));
      expect(fb.state()).toEqual({ counting: true, hint: null, message: null });
    });
  });
});
