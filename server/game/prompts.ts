/** Which emotions a game prompts, and the draw of the next prompt. */
import { EMOTIONS, type Emotion } from '../../shared/emotions.ts';

/**
 * Emotions whose PublicTest recall with the served model is below this are left out by default
 * (servedPublicRecall: the FER+ recall as served that `npm run calibrate` records, else the
 * original-label recall). The meter map equalises how high each emotion's meter goes; it
 * cannot make the model recognise an emotion it misses, so those stay out of the default set.
 */
export const DEFAULT_MIN_RECALL = 0.5;

/**
 * The default prompt set: emotions with recall ≥ minRecall. Falls back to all seven
 * when there are no metrics, or when no emotion passes (a game needs at least one).
 */
export function defaultPromptSet(
  recall: Partial<Record<Emotion, number>> | null,
  minRecall = DEFAULT_MIN_RECALL,
): Emotion[] {
  if (!recall) return [...EMOTIONS];
  const set = EMOTIONS.filter((e) => (recall[e] ?? 0) >= minRecall);
  return set.length > 0 ? set : [...EMOTIONS];
}

/**
 * Draws the next prompt uniformly from `allowed`, never repeating `previous`
 * back-to-back unless it is the only allowed emotion.
 */
export function drawPrompt(allowed: readonly Emotion[], previous: Emotion | null, random: () => number): Emotion {
  if (allowed.length === 0) throw new RangeError('drawPrompt needs at least one allowed emotion');
  const pool = allowed.length > 1 && previous !== null ? allowed.filter((e) => e !== previous) : [...allowed];
  const choices = pool.length > 0 ? pool : [...allowed];
  const i = Math.min(choices.length - 1, Math.floor(random() * choices.length));
  return choices[i] as Emotion;
}
