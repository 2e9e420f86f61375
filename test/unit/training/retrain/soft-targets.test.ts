import { describe, expect, it } from 'vitest';
import { composeSoftTargets } from '../../../../training/retrain/soft-targets.ts';
import { writeTarget } from '../../../../training/retrain/targets.ts';
import { ferPlusTrainingRows, sourceWithExtraRows } from '../../../../training/retrain/training-set.ts';

const row = (...v: number[]) => Float32Array.from(v);

describe('composeSoftTargets', () => {
  const labels = Uint8Array.from([0, 3]);
  const a = row(0.5, 0.5, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 1, 0, 0, 0);
  const b = row(0, 0, 0, 0, 0, 0, 1, /**/ 0, 0, 0, 0, 0, 0, 1);

  it('averages the sources by weight and reports their total weight', () => {
    const s = composeSoftTargets(labels, 2, [
      { name: 'a', probs: a, weight: 0.3 },
      { name: 'b', probs: b, weight: 0.1 },
    ]);
    expect(s?.weight).toBeCloseTo(0.4, 9);
    expect(s?.probs[0]).toBeCloseTo(0.375, 6);
    expect(s?.probs[6]).toBeCloseTo(0.25, 6);
    // With the label: each target is 0.6·label + 0.3·a + 0.1·b.
    const out = new Float32Array(7);
    writeTarget(out, 0, 0, 0, { probs: s?.probs ?? new Float32Array(), offset: 0, weight: s?.weight ?? 0 });
    expect(out[0]).toBeCloseTo(0.6 + 0.15, 6);
    expect(out[1]).toBeCloseTo(0.15, 6);
    expect(out[6]).toBeCloseTo(0.1, 6);
  });

  it("uses the row's one-hot label where a source lacks the row, so the weights hold on every row", () => {
    const s = composeSoftTargets(labels, 2, [
      { name: 'a', probs: a, weight: 0.5, missing: Uint8Array.from([0, 1]) },
      { name: 'b', probs: b, weight: 0.5 },
    ]);
    expect(Array.from(s?.probs.subarray(7, 14) ?? [])).toEqual([0, 0, 0, 0.5, 0, 0, 0.5]);
  });

  it('is null without weighted sources, and refuses weights over 1 or a wrong size', () => {
    expect(composeSoftTargets(labels, 2, [])).toBeNull();
    expect(composeSoftTargets(labels, 2, [{ name: 'a', probs: a, weight: 0 }])).toBeNull();
    expect(() =>
      composeSoftTargets(labels, 2, [
        { name: 'a', probs: a, weight: 0.6 },
        { name: 'b', probs: b, weight: 0.6 },
      ]),
    ).toThrow(/sum to 1.2/);
    expect(() => composeSoftTargets(labels, 3, [{ name: 'a', probs: a, weight: 0.5 }])).toThrow(/a: expected 3×7/);
  });
});

describe('ferPlusTrainingRows', () => {
  // Rows: a face (happy 8, NF 2), not a face (NF 6), only contempt/unknown votes, a face (sad 10).
  const votes = Uint8Array.from([
    0, 8, 0, 0, 0, 0, 0, 0, 0, 2, /**/ 4, 0, 0, 0, 0, 0, 0, 0, 0, 6, /**/ 0, 0, 0, 0, 0, 0, 0, 5, 5, 0, /**/ 0, 0, 0,
    10, 0, 0, 0, 0, 0, 0,
  ]);

  it('drops not-a-face rows and marks rows without a game-emotion vote as missing', () => {
    const t = ferPlusTrainingRows(votes, [0, 1, 2, 3]);
    expect(t.rows).toEqual([0, 2, 3]);
    expect(t.droppedNotAFace).toBe(1);
    expect(Array.from(t.missing)).toEqual([0, 1, 0]);
    expect(t.probs[3]).toBeCloseTo(1, 6); // row 0: all happy votes
    expect(t.probs[14 + 4]).toBeCloseTo(1, 6); // row 3: sad
  });

  it('appends rows of extra data files as missing', () => {
    const t = ferPlusTrainingRows(votes, [0, 3]);
    const s = sourceWithExtraRows('ferplus', 0.5, t.probs, t.missing, 2);
    expect(s.probs.length).toBe(28);
    expect(Array.from(s.missing ?? [])).toEqual([0, 0, 1, 1]);
  });
});
