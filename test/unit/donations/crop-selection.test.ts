import { describe, expect, it } from 'vitest';
import { RoundCropSelector, type ScoredCrop } from '../../../server/donations/crop-selection.ts';

const RULES = { holdMs: 1000, maxGapMs: 700, maxPeakCrops: 5 };

/** A crop at `t` ms whose meter is `meter`; pixel 0 carries the time so crops can be told apart. */
function crop(t: number, meter: number, match = meter, counted = true): ScoredCrop {
  const pixels = new Uint8Array(2304);
  pixels[0] = Math.floor(t / 100);
  return { msIntoRound: t, pixels, probabilities: [0, 0, 0, match, 0, 0, 1 - match], match, meter, counted };
}

function feed(sel: RoundCropSelector, meters: [number, number][], counted = true): void {
  for (const [t, m] of meters) sel.add(crop(t, m, m, counted));
}

describe('which crops of a round are donated', () => {
  it('keeps the frames of the best held second (at most 5, the best matching) and the first crop', () => {
    const sel = new RoundCropSelector(RULES);
    // Low for 2 s, then held high from 3.0 s to 4.4 s, then low again: 5 fps.
    const meters: [number, number][] = [];
    for (let t = 0; t < 3000; t += 200) meters.push([t, 0.2]);
    for (let t = 3000; t <= 4400; t += 200) meters.push([t, 0.8 + (t - 3000) / 10_000]);
    for (let t = 4600; t < 8000; t += 200) meters.push([t, 0.3]);
    feed(sel, meters);
    expect(sel.peak).toBeCloseTo(0.84, 5);
    const out = sel.result(0.84);
    expect(out.map((c) => c.kind)).toEqual(['early', 'peak', 'peak', 'peak', 'peak', 'peak']);
    expect(out[0]?.msIntoRound).toBe(0);
    // The hold that set the peak is 3.4…4.4 s (six frames); the five best matching are the latest five.
    expect(out.slice(1).map((c) => c.msIntoRound)).toEqual([3600, 3800, 4000, 4200, 4400]);
  });

  it('keeps only the early crop when no hold of a full second was ever reached', () => {
    const sel = new RoundCropSelector(RULES);
    feed(sel, [
      [0, 0.9],
      [200, 0.9],
      [400, 0.9],
    ]);
    expect(sel.peak).toBe(0);
    expect(sel.result(0).map((c) => [c.kind, c.msIntoRound])).toEqual([['early', 0]]);
  });

  it('does not donate the early crop twice when it is part of the peak', () => {
    const sel = new RoundCropSelector({ ...RULES, maxPeakCrops: 10 });
    feed(sel, [
      [0, 0.9],
      [500, 0.9],
      [1000, 0.9],
    ]);
    const out = sel.result(0.9);
    expect(out.map((c) => c.kind)).toEqual(['peak', 'peak', 'peak']);
  });

  it('a gap longer than maxGapMs restarts the hold, as in scoring', () => {
    const sel = new RoundCropSelector(RULES);
    feed(sel, [
      [0, 0.9],
      [600, 0.9],
      [1400, 0.9], // 800 ms gap: the hold restarts here
      [1900, 0.9],
    ]);
    expect(sel.peak).toBe(0);
  });

  it('never donates uncounted (replayed) frames, and an uncounted frame breaks the hold', () => {
    const sel = new RoundCropSelector(RULES);
    feed(sel, [
      [0, 0.9],
      [500, 0.9],
    ]);
    sel.add(crop(700, 0.9, 0.9, false));
    feed(sel, [
      [900, 0.9],
      [1400, 0.9],
    ]);
    expect(sel.peak).toBe(0);
    const replayOnly = new RoundCropSelector(RULES);
    feed(replayOnly, [[0, 0.9]], false);
    expect(replayOnly.result(0)).toEqual([]);
  });

  it('donates nothing from a round whose peak the room revoked', () => {
    const sel = new RoundCropSelector(RULES);
    feed(sel, [
      [0, 0.7],
      [500, 0.7],
      [1000, 0.7],
    ]);
    expect(sel.result(0.7).length).toBeGreaterThan(0);
    expect(sel.result(0.695).length).toBeGreaterThan(0); // rounding of the published peak
    expect(sel.result(0)).toEqual([]);
  });
});
