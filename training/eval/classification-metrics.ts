/** Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix from predicted probabilities. */

import type { ClassReport, EvalReport } from '../../server/ml/model-folder/metrics.ts';
import { EMOTION_COUNT, EMOTIONS } from '../../shared/emotions.ts';

export function argmax(probs: ArrayLike<number>, offset: number, length = EMOTION_COUNT): number {
  let best = 0;
  let bestV = -Infinity;
  for (let k = 0; k < length; k++) {
    const v = probs[offset + k] as number;
    if (v > bestV) {
      bestV = v;
      best = k;
    }
  }
  return best;
}

/** `probs` holds n rows of 7 probabilities. Classes absent from `labels` are left out of perClass and macro-F1. */
export function evaluateClassification(labels: ArrayLike<number>, probs: ArrayLike<number>, n: number): EvalReport {
  const confusion = Array.from({ length: EMOTION_COUNT }, () => new Array<number>(EMOTION_COUNT).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    const p = argmax(probs, i * EMOTION_COUNT);
    const row = confusion[y] as number[];
    row[p] = (row[p] ?? 0) + 1;
    if (p === y) correct++;
  }
  const perClass: EvalReport['perClass'] = {};
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < EMOTION_COUNT; c++) {
    const row = confusion[c] as number[];
    const support = row.reduce((a, b) => a + b, 0);
    if (support === 0) continue;
    const tp = row[c] as number;
    const predicted = confusion.reduce((s, r) => s + (r[c] as number), 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    const report: ClassReport = { precision, recall, f1, support };
    perClass[EMOTIONS[c] as (typeof EMOTIONS)[number]] = report;
    f1Sum += f1;
    present++;
  }
  return { n, accuracy: n === 0 ? 0 : correct / n, macroF1: present === 0 ? 0 : f1Sum / present, perClass, confusion };
}
