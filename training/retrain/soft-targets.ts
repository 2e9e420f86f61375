/**
 * One soft distribution per training row from several weighted sources (pure).
 *
 * A training target is (1 − a)·smoothed one-hot label + a·soft (targets.ts). With
 * several sources — FER+ vote distributions, the model's own flip-averaged teacher,
 * face-api's teacher — `soft` is their weighted average and `a` the sum of their
 * weights, so every target is
 *   w_label·label + w_ferplus·FER+ votes + w_teacher·teacher + w_faceapi·face-api,
 * with w_label = 1 − (the others). A source may lack a row (FER+ has no game-emotion
 * vote for it); that row then takes the one-hot label in its place, so the weights,
 * and the meaning of each flag, are the same on every row.
 */
import { EMOTION_COUNT } from '../../shared/emotions.ts';

export interface SoftSource {
  name: string;
  /** rows×7 probabilities (FER2013 order). */
  probs: Float32Array;
  weight: number;
  /** Rows the source has no distribution for (1 = missing); absent = it has every row. */
  missing?: Uint8Array;
}

export interface ComposedSoft {
  probs: Float32Array;
  /** Total weight of the sources in each target (the teacher weight the workers apply). */
  weight: number;
}

/** Weighted average of the sources (label one-hot where a source lacks a row); null when no source has weight. */
export function composeSoftTargets(labels: Uint8Array, count: number, sources: SoftSource[]): ComposedSoft | null {
  const active = sources.filter((s) => s.weight > 0);
  const weight = active.reduce((t, s) => t + s.weight, 0);
  if (active.length === 0) return null;
  if (weight > 1 + 1e-9) throw new RangeError(`soft target weights sum to ${weight}, more than 1`);
  for (const s of active) {
    if (s.probs.length !== count * EMOTION_COUNT) {
      throw new RangeError(`${s.name}: expected ${count}×${EMOTION_COUNT} probabilities, got ${s.probs.length}`);
    }
  }
  const probs = new Float32Array(count * EMOTION_COUNT);
  for (const s of active) {
    const f = s.weight / weight;
    for (let i = 0; i < count; i++) {
      const o = i * EMOTION_COUNT;
      if (s.missing?.[i]) {
        const k = o + (labels[i] as number);
        probs[k] = (probs[k] as number) + f;
        continue;
      }
      for (let c = 0; c < EMOTION_COUNT; c++) probs[o + c] = (probs[o + c] as number) + f * (s.probs[o + c] as number);
    }
  }
  return { probs, weight };
}
