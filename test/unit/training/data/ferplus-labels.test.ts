import { describe, expect, it } from 'vitest';
import { EMOTIONS } from '../../../../shared/emotions.ts';
import {
  FERPLUS_COLUMNS,
  ferPlusMajorities,
  ferPlusMajority,
  isNotAFace,
  writeFerPlusDistribution,
} from '../../../../training/data/ferplus-labels.ts';

/** Votes by FER+ column name; the rest 0. */
function votes(v: Partial<Record<(typeof FERPLUS_COLUMNS)[number], number>>): number[] {
  return FERPLUS_COLUMNS.map((c) => v[c] ?? 0);
}
const id = (e: (typeof EMOTIONS)[number]) => EMOTIONS.indexOf(e);

describe('ferPlusMajority (the --labels ferplus rule)', () => {
  it('maps each FER+ emotion column onto the game emotion of the same meaning', () => {
    const pairs: [(typeof FERPLUS_COLUMNS)[number], (typeof EMOTIONS)[number]][] = [
      ['neutral', 'neutral'],
      ['happiness', 'happy'],
      ['surprise', 'surprise'],
      ['sadness', 'sad'],
      ['anger', 'angry'],
      ['disgust', 'disgust'],
      ['fear', 'fear'],
    ];
    for (const [col, emotion] of pairs) expect(ferPlusMajority(votes({ [col]: 6, unknown: 4 }))).toBe(id(emotion));
  });

  it('takes the unique plurality, not only an absolute majority', () => {
    expect(ferPlusMajority(votes({ sadness: 4, neutral: 3, anger: 3 }))).toBe(id('sad'));
  });

  it('excludes ties, including a tie with a non-emotion column', () => {
    expect(ferPlusMajority(votes({ sadness: 4, neutral: 4, anger: 2 }))).toBe(-1);
    expect(ferPlusMajority(votes({ sadness: 4, unknown: 4, anger: 2 }))).toBe(-1);
  });

  it('excludes rows whose top column is not-a-face, unknown or contempt', () => {
    expect(ferPlusMajority(votes({ NF: 10 }))).toBe(-1);
    expect(ferPlusMajority(votes({ unknown: 5, neutral: 3, sadness: 2 }))).toBe(-1);
    expect(ferPlusMajority(votes({ contempt: 6, neutral: 4 }))).toBe(-1);
  });

  it('reads rows at an offset (ferPlusMajorities)', () => {
    const all = Uint8Array.from([...votes({ happiness: 9, neutral: 1 }), ...votes({ NF: 10 }), ...votes({ fear: 7 })]);
    expect(Array.from(ferPlusMajorities(all, 3))).toEqual([id('happy'), -1, id('fear')]);
  });
});

describe('FER+ training rules', () => {
  it('drops a row from training only when not-a-face has the most votes (ties included)', () => {
    expect(isNotAFace(votes({ NF: 6, neutral: 4 }))).toBe(true);
    expect(isNotAFace(votes({ NF: 5, neutral: 5 }))).toBe(true);
    expect(isNotAFace(votes({ NF: 1, neutral: 9 }))).toBe(false);
    expect(isNotAFace(votes({ neutral: 10 }))).toBe(false);
  });

  it('normalises the 7 game-emotion votes, discarding unknown and contempt', () => {
    const out = new Float32Array(7).fill(-1);
    expect(writeFerPlusDistribution(votes({ happiness: 6, surprise: 2, contempt: 1, unknown: 1 }), 0, out, 0)).toBe(
      true,
    );
    expect(out[id('happy')]).toBeCloseTo(0.75, 6);
    expect(out[id('surprise')]).toBeCloseTo(0.25, 6);
    expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
  });

  it('has no distribution when no vote names a game emotion', () => {
    const out = new Float32Array(7).fill(-1);
    expect(writeFerPlusDistribution(votes({ contempt: 5, unknown: 5 }), 0, out, 0)).toBe(false);
    expect(Array.from(out)).toEqual(new Array(7).fill(-1));
  });
});
