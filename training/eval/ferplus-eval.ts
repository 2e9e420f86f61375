/** Accuracy on FER+ majority labels: only the rows that have one (label ≥ 0) count (pure). */

import type { EvalReport } from '../../server/ml/model-folder/metrics.ts';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { evaluateClassification } from './classification-metrics.ts';

/** The rows with a FER+ majority label, their labels, and their probabilities (rows×7). */
export function selectMajorityRows(
  majority: Int8Array,
  probs: Float32Array,
): { rows: number[]; labels: Uint8Array; probs: Float32Array } {
  if (probs.length !== majority.length * EMOTION_COUNT) {
    throw new RangeError(`expected ${majority.length}×${EMOTION_COUNT} probabilities, got ${probs.length}`);
  }
  const rows: number[] = [];
  for (let i = 0; i < majority.length; i++) if ((majority[i] as number) >= 0) rows.push(i);
  const labels = new Uint8Array(rows.length);
  const out = new Float32Array(rows.length * EMOTION_COUNT);
  rows.forEach((r, k) => {
    labels[k] = majority[r] as number;
    out.set(probs.subarray(r * EMOTION_COUNT, (r + 1) * EMOTION_COUNT), k * EMOTION_COUNT);
  });
  return { rows, labels, probs: out };
}

export function ferPlusReport(majority: Int8Array, probs: Float32Array): EvalReport {
  const s = selectMajorityRows(majority, probs);
  return evaluateClassification(s.labels, s.probs, s.labels.length);
}
