/**
 * Model selection: the score an epoch is picked by (declared before training,
 * PublicTest only) and the final evaluation of the picked weights on both test
 * splits, shared by a finished run and by publishing a run's best-so-far.
 */
import type { EvalReport, SplitReports } from '../../server/ml/model-folder/metrics.ts';
import type { LabeledImages } from '../data/dataset.ts';
import { evaluateClassification } from '../eval/classification-metrics.ts';
import { ferPlusReport } from '../eval/ferplus-eval.ts';
import { loadBestWeights } from './checkpoint.ts';
import type { Replicas } from './replicas.ts';
import type { Selection, TrainData, TrainEvaluation } from './train-types.ts';

export interface EpochScore {
  publicTest: EvalReport;
  /** FER+ majority-label PublicTest report, when the data has FER+ labels. */
  publicFerPlus?: EvalReport;
  /** What the best epoch is picked by. */
  score: number;
}

/** Scores PublicTest predictions by the declared selection rule (pure). */
export function epochScore(data: TrainData, publicProbs: Float32Array, selection: Selection): EpochScore {
  const publicTest = evaluateClassification(data.publicTest.labels, publicProbs, data.publicTest.count);
  const publicFerPlus = data.ferPlus ? ferPlusReport(data.ferPlus.publicTest, publicProbs) : undefined;
  const score =
    selection === 'fer+ferplus' && publicFerPlus
      ? (publicTest.accuracy + publicFerPlus.accuracy) / 2
      : publicTest.accuracy;
  return { publicTest, ...(publicFerPlus ? { publicFerPlus } : {}), score };
}

async function splitProbs(
  replicas: Replicas,
  weights: Float32Array[],
  set: string,
): Promise<{ plain: Float32Array; tta: Float32Array }> {
  const plain = await replicas.predict(weights, set, false);
  const flipped = await replicas.predict(weights, set, true);
  const tta = new Float32Array(plain.length);
  for (let i = 0; i < tta.length; i++) tta[i] = ((plain[i] as number) + (flipped[i] as number)) / 2;
  return { plain, tta };
}

/** Both test splits, one pass and flip TTA, on the original labels and (with FER+) on FER+ majorities. */
export async function evaluateWeights(
  replicas: Replicas,
  weights: Float32Array[],
  data: TrainData,
): Promise<TrainEvaluation> {
  const pub = await splitProbs(replicas, weights, 'public');
  const priv = await splitProbs(replicas, weights, 'private');
  const fer = (d: LabeledImages, p: { plain: Float32Array; tta: Float32Array }): SplitReports => ({
    plain: evaluateClassification(d.labels, p.plain, d.count),
    flipTta: evaluateClassification(d.labels, p.tta, d.count),
  });
  const plus = (m: Int8Array, p: { plain: Float32Array; tta: Float32Array }): SplitReports => ({
    plain: ferPlusReport(m, p.plain),
    flipTta: ferPlusReport(m, p.tta),
  });
  return {
    PublicTest: fer(data.publicTest, pub),
    PrivateTest: fer(data.privateTest, priv),
    ...(data.ferPlus
      ? {
          ferplus: {
            PublicTest: plus(data.ferPlus.publicTest, pub),
            PrivateTest: plus(data.ferPlus.privateTest, priv),
          },
        }
      : {}),
  };
}

/** The run folder's best weights and their evaluation. */
export async function selectAndEvaluate(
  replicas: Replicas,
  runDir: string,
  data: TrainData,
): Promise<{ weights: Float32Array[]; evaluation: TrainEvaluation }> {
  const weights = await loadBestWeights(
    runDir,
    replicas.specs.map((s) => s.size),
  );
  return { weights, evaluation: await evaluateWeights(replicas, weights, data) };
}

export function formatAccuracy(r: EvalReport): string {
  return `${(r.accuracy * 100).toFixed(2)}%`;
}
