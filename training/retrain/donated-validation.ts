/**
 * Retraining with donated crops (`npm run retrain -- --data <FER2013> --data donated.csv.gz`):
 * an extra data file trains on its Training rows only; its PublicTest rows (the crops of the
 * validation donors, see split.ts) are held out and, after training, the chosen weights'
 * accuracy on them is reported. The epoch is still chosen on FER2013 PublicTest alone, so the
 * FER2013 protocol is unchanged and these figures never feed back into training.
 */

import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PIXEL_SCALE } from '../../server/ml/engine/preprocess.ts';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import type { LabeledImages } from '../data/dataset.ts';
import { type Fer2013Data, USAGES } from '../data/fer2013-reader.ts';
import { evaluateClassification } from '../eval/classification-metrics.ts';
import type { Architecture } from '../model/architectures.ts';
import { buildModelWithWeights } from './publish.ts';

export interface HeldOutSet {
  file: string;
  rows: LabeledImages;
}

export interface DonatedValidationReport {
  file: string;
  n: number;
  accuracy: number;
}

function rowsOf(d: Fer2013Data, usage: (typeof USAGES)[number]): Fer2013Data {
  const u = USAGES.indexOf(usage);
  const idx: number[] = [];
  for (let i = 0; i < d.count; i++) if (d.usages[i] === u) idx.push(i);
  const images = new Uint8Array(idx.length * FRAME_BYTES);
  idx.forEach((r, k) => void images.set(d.images.subarray(r * FRAME_BYTES, (r + 1) * FRAME_BYTES), k * FRAME_BYTES));
  return {
    images,
    labels: Uint8Array.from(idx, (r) => d.labels[r] as number),
    usages: new Uint8Array(idx.length).fill(u),
    count: idx.length,
    skipped: d.skipped,
  };
}

/** Extra data files: their Training rows (to train on) and their PublicTest rows (held out). */
export function holdOutExtraValidation(
  files: readonly string[],
  extra: readonly Fer2013Data[],
): { train: Fer2013Data[]; heldOut: HeldOutSet[] } {
  const train = extra.map((d) => rowsOf(d, 'Training'));
  const heldOut = extra
    .map((d, i) => ({ file: files[i] ?? `extra ${i + 1}`, rows: rowsOf(d, 'PublicTest') }))
    .filter((h) => h.rows.count > 0);
  return { train, heldOut };
}

/** Accuracy of the trained weights (fp32, one pass, as evaluation without TTA) on each held-out set. */
export function donatedValidationAccuracy(
  arch: Architecture,
  weights: Float32Array[],
  heldOut: readonly HeldOutSet[],
  log: (line: string) => void,
): DonatedValidationReport[] {
  if (heldOut.length === 0) return [];
  const model = buildModelWithWeights(arch, weights);
  try {
    return heldOut.map(({ file, rows }) => {
      const probs = new Float32Array(rows.count * EMOTION_COUNT);
      const chunk = 256;
      for (let s = 0; s < rows.count; s += chunk) {
        const n = Math.min(chunk, rows.count - s);
        const px = Float32Array.from(
          rows.images.subarray(s * FRAME_BYTES, (s + n) * FRAME_BYTES),
          (v) => v * PIXEL_SCALE,
        );
        const out = tf.tidy(() => (model.predict(tf.tensor4d(px, [n, 48, 48, 1])) as tf.Tensor).dataSync());
        probs.set(out, s * EMOTION_COUNT);
      }
      const accuracy = evaluateClassification(rows.labels, probs, rows.count).accuracy;
      log(
        `donated validation (${basename(file)}, PublicTest rows of its validation donors): accuracy ${(accuracy * 100).toFixed(2)}% on ${rows.count} crops`,
      );
      return { file: basename(file), n: rows.count, accuracy };
    });
  } finally {
    model.dispose();
  }
}
