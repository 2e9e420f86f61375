/** face-api.js's FaceExpressionNet class order, and its mapping onto the game's (FER2013) order. */
import { EMOTION_COUNT, EMOTIONS } from '../../shared/emotions.ts';

/** The order of FaceExpressionNet's 7 outputs (face-api's FACE_EXPRESSION_LABELS). */
export const FACEAPI_LABELS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;

const FACEAPI_TO_GAME: Record<(typeof FACEAPI_LABELS)[number], (typeof EMOTIONS)[number]> = {
  neutral: 'neutral',
  happy: 'happy',
  sad: 'sad',
  angry: 'angry',
  fearful: 'fear',
  disgusted: 'disgust',
  surprised: 'surprise',
};

/** For each game emotion (FER2013 order), the index of face-api's output that holds it. */
export const FACEAPI_INDEX_OF_EMOTION: readonly number[] = EMOTIONS.map((e) =>
  FACEAPI_LABELS.findIndex((l) => FACEAPI_TO_GAME[l] === e),
);

/** Reorders count rows of face-api probabilities into FER2013 order (pure). */
export function faceApiToFerOrder(probs: Float32Array, count: number): Float32Array {
  if (probs.length !== count * EMOTION_COUNT) {
    throw new RangeError(`expected ${count}×${EMOTION_COUNT} probabilities, got ${probs.length}`);
  }
  const out = new Float32Array(probs.length);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < EMOTION_COUNT; c++) {
      out[i * EMOTION_COUNT + c] = probs[i * EMOTION_COUNT + (FACEAPI_INDEX_OF_EMOTION[c] as number)] as number;
    }
  }
  return out;
}
