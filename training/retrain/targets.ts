/** The training target for one image: label smoothing, optionally mixed with a teacher's probabilities. */
import { EMOTION_COUNT } from '../../shared/emotions.ts';

/**
 * Writes the 7 target probabilities at out[offset…]: (1 − ε)·onehot + ε/7, then, with a
 * teacher, (1 − a)·that + a·teacher. Both parts sum to 1, so the target does too.
 */
export function writeTarget(
  out: Float32Array,
  offset: number,
  label: number,
  smoothing: number,
  teacher?: { probs: Float32Array; offset: number; weight: number },
): void {
  const a = teacher ? teacher.weight : 0;
  for (let c = 0; c < EMOTION_COUNT; c++) {
    const hard = (c === label ? 1 - smoothing : 0) + smoothing / EMOTION_COUNT;
    out[offset + c] = a > 0 && teacher ? (1 - a) * hard + a * (teacher.probs[teacher.offset + c] as number) : hard;
  }
}
