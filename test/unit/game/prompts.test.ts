import { describe, expect, it } from 'vitest';
import { defaultPromptSet, drawPrompt } from '../../../server/game/prompts.ts';
import { EMOTIONS, type Emotion } from '../../../shared/emotions.ts';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('drawPrompt', () => {
  it('never repeats the previous emotion back-to-back and uses every allowed one', () => {
    const random = seeded(7);
    const allowed: Emotion[] = ['happy', 'sad', 'surprise'];
    let prev: Emotion | null = null;
    const seen = new Set<Emotion>();
    for (let i = 0; i < 500; i++) {
      const next = drawPrompt(allowed, prev, random);
      expect(allowed).toContain(next);
      expect(next).not.toBe(prev);
      seen.add(next);
      prev = next;
    }
    expect(seen.size).toBe(3);
  });
  it('repeats the only allowed emotion', () => {
    expect(drawPrompt(['happy'], 'happy', Math.random)).toBe('happy');
  });
  it('works when random() returns values at the edges', () => {
    expect(drawPrompt(['happy', 'sad'], null, () => 0.9999999999)).toBe('sad');
    expect(drawPrompt(['happy', 'sad'], 'sad', () => 0)).toBe('happy');
  });
});

describe('defaultPromptSet', () => {
  it('leaves out emotions with PublicTest recall below 50%', () => {
    const recall = { angry: 0.55, disgust: 0.2, fear: 0.35, happy: 0.9, sad: 0.49, surprise: 0.8, neutral: 0.5 };
    expect(defaultPromptSet(recall)).toEqual(['angry', 'happy', 'surprise', 'neutral']);
  });
  it('falls back to all seven without metrics, or when none passes', () => {
    expect(defaultPromptSet(null)).toEqual([...EMOTIONS]);
    expect(defaultPromptSet({ happy: 0.1 })).toEqual([...EMOTIONS]);
  });
});
