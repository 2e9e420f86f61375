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

  it('the windowed meter equals the mean over every frame of the round, in any arrival order', () => {
    // Reference: the definition, computed over all frames at each step (the meter once did this).
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 20; trial++) {
      const s = new RoundScorer(DEFAULT_SCORING, start, ROUND_MS);
      const all = new Map<number, { t: number; p: number; live: boolean; breaks: boolean }>();
      const revokedEarly = new Set<number>();
      const reference = (now: number) => {
        let lastBreak = Number.NEGATIVE_INFINITY;
        for (const f of all.values()) if (f.breaks && f.t > lastBreak) lastBreak = f.t;
        let sum = 0;
        let n = 0;
        for (const f of all.values()) {
          if (!f.live || f.breaks || f.t <= now - DEFAULT_SCORING.smoothingMs || f.t < lastBreak || f.t > now) continue;
          sum += f.p;
          n++;
        }
        return n === 0 ? 0 : sum / n;
      };
      let now = start;
      for (let id = 0; id < 120; id++) {
        now += Math.floor(rand() * 250);
        // Results come back out of order by up to 400 ms (two workers, batches).
        const t = now - Math.floor(rand() * 400);
        const r = rand();
        if (r < 0.05) {
          s.interrupt(t);
          all.set(-1000 - id, { t, p: 0, live: false, breaks: true });
          expect(s.meter).toBeCloseTo(reference(t), 12);
        } else if (r < 0.15) {
          const ids = [Math.floor(rand() * (id + 5))];
          s.revoke(ids, now);
          for (const x of ids) {
            const f = all.get(x);
            if (f) f.live = false;
            else revokedEarly.add(x);
          }
          expect(s.meter).toBeCloseTo(reference(now), 12);
        } else {
          const p = rand();
          const live = rand() > 0.1;
          const meter = s.add(t, p, live, id);
          all.set(id, { t, p, live: live && !revokedEarly.has(id), breaks: false });
          expect(meter).toBeCloseTo(reference(t), 12);
        }
      }
    }
  });
});
