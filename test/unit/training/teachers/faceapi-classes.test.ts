import { describe, expect, it } from 'vitest';
import { EMOTIONS } from '../../../../shared/emotions.ts';
import { FACEAPI_LABELS, faceApiToFerOrder } from '../../../../training/teachers/faceapi-classes.ts';

describe('faceApiToFerOrder', () => {
  it("puts each of face-api's outputs at the game emotion of the same meaning", () => {
    // Row k is one-hot on face-api's output k.
    const probs = new Float32Array(49);
    for (let k = 0; k < 7; k++) probs[k * 7 + k] = 1;
    const fer = faceApiToFerOrder(probs, 7);
    const expected = ['neutral', 'happy', 'sad', 'angry', 'fear', 'disgust', 'surprise'];
    expect(FACEAPI_LABELS).toHaveLength(7);
    for (let k = 0; k < 7; k++) {
      const row = Array.from(fer.subarray(k * 7, k * 7 + 7));
      expect(EMOTIONS[row.indexOf(1)]).toBe(expected[k]);
    }
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => faceApiToFerOrder(new Float32Array(13), 2)).toThrow(/expected 2×7/);
  });
});
