import { describe, expect, it } from 'vitest';
import { DEFAULT_SCORING, RoundScorer } from '../../../server/game/scoring.ts';

const ROUND_MS = 10_000;

/** Feeds probability p at 5 frames/s from `from` to `to` (ms since round start); returns the frame ids used. */
function feed(
  s: RoundScorer,
  start: number,
  from: number,
  to: number,
  p: number | ((t: number) => number),
  firstId = from / 200,
): number[] {
  const ids: number[] = [];
  for (let t = from, id = firstId; t < to; t += 200, id++) {
    s.add(start + t, typeof p === 'number' ? p : p(t), true, id);
    ids.push(id);
  }
  return ids;
}

describe('RoundScorer', () => {
  const start = 1_000_000;

  it('scores nothing without frames', () => {
    expect(new RoundScorer(DEFAULT_SCORING, start, ROUND_MS).result()).toEqual({
      points: 0,
      peak: 0,
      reachedAfterMs: null,
    });
  });

  it('gives the held peak times 1000 plus a speed bonus for reaching 0.5 early', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    feed(s, start, 0, ROUND_MS, 0.8);
    const r = s.result();
    expect(r.peak).toBeCloseTo(0.8, 5);
    expect(r.reachedAfterMs).toBe(1000);
    expect(r.points).toBe(Math.round(800 + 100 * (1 - 1000 / ROUND_MS)));
  });

  it('a single spike does not count: the peak must be held for holdMs', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    feed(s, start, 0, ROUND_MS, (t) => (t === 4000 ? 1 : 0.1));
    expect(s.result().peak).toBeLessThan(0.3);
    expect(s.result().reachedAfterMs).toBeNull();
  });

  it('a better expression scores more, and reaching it sooner scores more', () => {
    const strong = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    const weak = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    feed(strong, start, 0, ROUND_MS, 0.9);
    feed(weak, start, 0, ROUND_MS, 0.4);
    expect(strong.result().points).toBeGreaterThan(weak.result().points);

    const early = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    const late = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    feed(early, start, 0, ROUND_MS, 0.7);
    feed(late, start, 0, ROUND_MS, (t) => (t < 7000 ? 0.1 : 0.7));
    expect(early.result().peak).toBeCloseTo(late.result().peak, 5);
    expect(early.result().points).toBeGreaterThan(late.result().points);
  });

  it('a gap longer than maxGapMs breaks a hold', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    // Bursts of 600 ms separated by 1 s gaps never hold 1 s.
    for (let b = 0; b < 5; b++) feed(s, start, b * 1600, b * 1600 + 600, 0.9);
    expect(s.result().peak).toBe(0);
  });

  it('the meter is the mean over the smoothing window; a break in play empties it', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    s.add(start, 0.2, true, 0);
    s.add(start + 200, 0.4, true, 1);
    expect(s.meter).toBeCloseTo(0.3, 5);
    feed(s, start, 400, 2000, 1);
    expect(s.meter).toBeCloseTo(1, 5);
    s.interrupt(start + 2000);
    expect(s.meter).toBe(0);
  });

  it('clamps and ignores non-finite probabilities', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    feed(s, start, 0, 3000, 7);
    expect(s.result().peak).toBe(1);
    s.add(start + 3000, Number.NaN, true, 99);
    expect(s.meter).toBe(0);
  });

  it('replay frames never raise the meter or the peak', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    feed(s, start, 0, 3000, 0.2);
    for (let t = 3000, id = 100; t < ROUND_MS; t += 200, id++) s.add(start + t, 0.99, false, id);
    expect(s.meter).toBe(0);
    expect(s.result().peak).toBeCloseTo(0.2, 5);
  });

  it('a held peak is revoked when the frames that built it turn out to be replays', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    const honest = feed(s, start, 0, 4000, 0.3);
    const copied = feed(s, start, 4000, 6000, 0.95);
    expect(s.result().peak).toBeCloseTo(0.95, 5);
    expect(s.meter).toBeCloseTo(0.95, 5);
    s.revoke(copied, start + 6000);
    expect(s.meter).toBe(0);
    expect(s.result().peak).toBeCloseTo(0.3, 5);
    expect(honest.length).toBe(20);
  });

  it('a frame revoked before its model output arrives never counts', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    s.revoke([0, 1, 2, 3, 4, 5, 6, 7, 8], start);
    feed(s, start, 0, 1800, 0.9);
    expect(s.result().points).toBe(0);
  });
});
