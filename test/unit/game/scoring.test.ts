import { describe, expect, it } from 'vitest';
import { DEFAULT_SCORING, RoundScorer, StillFrameDetector } from '../../../server/game/scoring.ts';

const ROUND_MS = 10_000;

/** Feeds probability p at 5 frames/s from `from` to `to` (ms since round start). */
function feed(s: RoundScorer, start: number, from: number, to: number, p: number | ((t: number) => number)) {
  for (let t = from; t < to; t += 200) s.add(start + t, typeof p === 'number' ? p : p(t), true);
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

  it('the meter is the mean over the smoothing window; uncounted frames empty it', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    s.add(start, 0.2, true);
    s.add(start + 200, 0.4, true);
    expect(s.meter).toBeCloseTo(0.3, 5);
    feed(s, start, 400, 2000, 1);
    expect(s.meter).toBeCloseTo(1, 5);
    s.add(start + 2000, 1, false);
    expect(s.meter).toBe(0);
  });

  it('clamps and ignores non-finite probabilities', () => {
    const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
    feed(s, start, 0, 3000, 7);
    expect(s.result().peak).toBe(1);
    s.add(start + 3000, Number.NaN, true);
    expect(s.meter).toBe(0);
  });
});

describe('StillFrameDetector', () => {
  const frame = (v: number) => new Uint8Array(2304).fill(v);

  it('stops counting byte-identical frames after 2 s in a row', () => {
    const d = new StillFrameDetector(2000);
    const counted: boolean[] = [];
    for (let t = 0; t <= 4000; t += 200) counted.push(d.check(frame(9), t));
    // t = 0..2000 count (identical for ≤ 2 s), later ones do not.
    expect(counted.slice(0, 11).every(Boolean)).toBe(true);
    expect(counted.slice(11).some(Boolean)).toBe(false);
  });

  it('counts again as soon as the frame changes, and never flags changing frames', () => {
    const d = new StillFrameDetector(2000);
    for (let t = 0; t <= 3000; t += 200) d.check(frame(1), t);
    expect(d.check(frame(2), 3200)).toBe(true);
    for (let t = 3400; t < 10_000; t += 200) expect(d.check(frame((t / 200) % 2), t)).toBe(true);
  });

  it('compares the whole frame, not a prefix', () => {
    const d = new StillFrameDetector(2000);
    const a = frame(5);
    const b = frame(5);
    b[2303] = 6;
    for (let t = 0; t <= 5000; t += 400) expect(d.check(t % 800 === 0 ? a : b, t)).toBe(true);
  });
});
