/**
 * The training loop: data-parallel over worker replicas, AdamW with a one-cycle
 * schedule in this thread, PublicTest accuracy after every epoch for model selection
 * and early stopping, checkpoints every epoch (and on a timer and on Ctrl-C).
 * PrivateTest is evaluated once, at the end, on the selected weights.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { EvalReport, SplitReports } from '../../server/ml/model-folder/metrics.ts';
import { readFolderWeights } from '../../server/ml/model-folder/weights.ts';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { batchIndices, classCounts, type LabeledImages } from '../data/dataset.ts';
import { createRng } from '../data/rng.ts';
import { evaluateClassification } from '../eval/classification-metrics.ts';
import { ferPlusReport } from '../eval/ferplus-eval.ts';
import type { Architecture } from '../model/architectures.ts';
import { adamWStep, createAdamWState, DEFAULT_ADAMW } from './adamw.ts';
import {
  type CheckpointMeta,
  type EpochRecord,
  hasCheckpoint,
  loadBestWeights,
  loadCheckpoint,
  saveBestWeights,
  saveCheckpoint,
} from './checkpoint.ts';
import { initialWeights, type KernelInit } from './init-weights.ts';
import type { WeightSpec } from './messages.ts';
import { Replicas, toShared } from './replicas.ts';
import { oneCycleLr } from './schedule.ts';
import { composeSoftTargets, type SoftSource } from './soft-targets.ts';

export interface TrainConfig {
  arch: Architecture;
  epochs: number;
  batch: number;
  seed: number;
  maxLr: number;
  schedule: 'onecycle' | 'constant';
  weightDecay: number;
  labelSmoothing: number;
  /** Class weight = (mean count / class count) ^ power; 0 turns weighting off. */
  classWeightPower: number;
  augment: boolean;
  /** Scale of the seeded initial kernels (not used with initFrom). */
  kernelInit: KernelInit;
  /** Stop after this many epochs without a PublicTest improvement. */
  patience: number;
  workers: number;
  backend?: 'node' | 'wasm' | 'cpu';
  runDir: string;
  resume: boolean;
  /** A published model folder of the same architecture to start from (a warm restart) instead of seeded random weights. */
  initFrom?: string;
  /**
   * Distillation: a published model of the same architecture whose flip-averaged
   * probabilities on each (unaugmented) training image are mixed into its target,
   * with weight `distillWeight`. A flip-TTA teacher teaches the student to be as
   * good in one pass as the teacher is in two.
   */
  teacher?: string;
  distillWeight?: number;
  /**
   * How the epoch is picked, declared before training: 'fer' = PublicTest accuracy on
   * the original labels; 'fer+ferplus' = the mean of that and the FER+ majority-label
   * PublicTest accuracy (needs TrainData.ferPlus).
   */
  selection?: Selection;
  checkpointEveryS: number;
  progress: boolean;
}

export const SELECTIONS = ['fer', 'fer+ferplus'] as const;
export type Selection = (typeof SELECTIONS)[number];

export interface TrainData {
  train: LabeledImages;
  publicTest: LabeledImages;
  privateTest: LabeledImages;
  /** Soft targets given with the data (FER+ votes, a cached face-api teacher), one row per training image. */
  soft?: SoftSource[];
  /** FER+ majority labels of the test rows (-1 = excluded), for FER+ accuracy and selection. */
  ferPlus?: { publicTest: Int8Array; privateTest: Int8Array };
}

export interface TrainResult {
  specs: WeightSpec[];
  weights: Float32Array[];
  backend: string;
  history: EpochRecord[];
  bestEpoch: number;
  epochsRun: number;
  wallTimeS: number;
  trainImgPerSec: number;
  evaluation: TrainEvaluation;
  interrupted: boolean;
}

/** The selected weights on both test splits, on the original labels and (with FER+) on FER+ majority labels. */
export interface TrainEvaluation {
  PublicTest: SplitReports;
  PrivateTest: SplitReports;
  ferplus?: { PublicTest: SplitReports; PrivateTest: SplitReports };
}

export class TrainingInterrupted extends Error {}

/** The loss or the weights went NaN or infinite: the weights are garbage from here on, so the run stops. */
export class TrainingDiverged extends Error {}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i] as number)) return false;
  return true;
}

/** Weight of the teacher in each target when distilling, unless --distill-weight says otherwise. */
export const DEFAULT_DISTILL_WEIGHT = 0.5;

/** The teacher's flip-TTA probabilities for every training image (count×7). */
async function teacherTargets(
  replicas: Replicas,
  dir: string,
  train: LabeledImages,
  say: (line: string) => void,
): Promise<Float32Array> {
  const teacher = await weightsFromFolder(dir, replicas.specs);
  const plain = await replicas.predict(teacher, 'train', false);
  const flipped = await replicas.predict(teacher, 'train', true);
  for (let i = 0; i < plain.length; i++) plain[i] = ((plain[i] as number) + (flipped[i] as number)) / 2;
  const acc = evaluateClassification(train.labels, plain, train.count).accuracy;
  say(`teacher ${dir}: Training accuracy ${(acc * 100).toFixed(2)}% (flip TTA), used as soft targets`);
  return plain;
}

function gatherRows(rows: Float32Array, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * EMOTION_COUNT);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    out.set(rows.subarray(i * EMOTION_COUNT, (i + 1) * EMOTION_COUNT), k * EMOTION_COUNT);
  }
  return out;
}

/** The replicas' weights, in spec order, taken by name from a published model folder. */
export async function weightsFromFolder(dir: string, specs: readonly WeightSpec[]): Promise<Float32Array[]> {
  const found = await readFolderWeights(dir);
  return specs.map((s) => {
    const w = found.get(s.name);
    if (!w || w.shape.join('x') !== s.shape.join('x')) {
      throw new Error(
        `${dir}: the model has no weight ${s.name} of shape [${s.shape.join(',')}]` +
          (w ? ` (it has [${w.shape.join(',')}])` : '') +
          '; it must be a model of the same --arch',
      );
    }
    return w.values;
  });
}

function startReplicas(config: TrainConfig, data: TrainData): Promise<Replicas> {
  return Replicas.start(
    config.workers,
    config.arch,
    toShared(data.train),
    { public: toShared(data.publicTest), private: toShared(data.privateTest) },
    config.backend,
  );
}

/**
 * Evaluates the best weights a run has so far, without training: for publishing an
 * interim model while a long run continues (possibly in another session).
 */
export async function evaluateRunBest(
  config: TrainConfig,
  data: TrainData,
  log: (line: string) => void,
): Promise<TrainResult> {
  if (!hasCheckpoint(config.runDir)) throw new Error(`no checkpoint in ${config.runDir}`);
  const replicas = await startReplicas(config, data);
  try {
    const sizes = replicas.specs.map((s) => s.size);
    const trainable = replicas.specs.flatMap((s) => (s.trainable ? [s.size] : []));
    const { meta } = await loadCheckpoint(config.runDir, sizes, trainable);
    if (meta.config.arch !== config.arch)
      throw new Error(`run ${config.runDir} trains ${String(meta.config.arch)}, not ${config.arch}`);
    if (!meta.best) throw new Error(`run ${config.runDir} has not finished an epoch yet`);
    const best = await loadBestWeights(config.runDir, sizes);
    const evaluation = await evaluateBest(replicas, best, data);
    log(
      `interim: epoch ${meta.best.epoch} of ${String(meta.config.epochs)} (best so far); PublicTest ${fmt(evaluation.PublicTest.plain)}, PrivateTest ${fmt(evaluation.PrivateTest.plain)}`,
    );
    const trainSeconds = meta.history.reduce((t, h) => t + h.seconds, 0);
    return {
      specs: replicas.specs,
      weights: best,
      backend: replicas.backend,
      history: meta.history,
      bestEpoch: meta.best.epoch,
      epochsRun: meta.history.length,
      wallTimeS: meta.elapsedS,
      trainImgPerSec:
        trainSeconds > 0 ? meta.history.reduce((t, h) => t + h.imgPerSec * h.seconds, 0) / trainSeconds : 0,
      evaluation,
      interrupted: true,
    };
  } finally {
    await replicas.close();
  }
}

export function classWeights(labels: Uint8Array, count: number, power: number): number[] {
  const counts = classCounts(labels, count);
  if (power === 0) return counts.map(() => 1);
  const present = counts.filter((c) => c > 0);
  const mean = present.reduce((a, b) => a + b, 0) / present.length;
  const raw = counts.map((c) => (c > 0 ? (mean / c) ** power : 0));
  // Normalise so the average weight over the training rows is 1 (keeps the loss scale and lr meaning).
  const avg = counts.reduce((s, c, i) => s + c * (raw[i] as number), 0) / count;
  return raw.map((w) => w / avg);
}

export async function train(config: TrainConfig, data: TrainData, log: (line: string) => void): Promise<TrainResult> {
  mkdirSync(config.runDir, { recursive: true });
  const logFile = join(config.runDir, 'train.log');
  const say = (line: string) => {
    appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
    log(line);
  };

  const replicas = await startReplicas(config, data);
  say(`backend: ${replicas.backend} in ${replicas.size} worker thread(s); arch ${config.arch}`);
  try {
    return await runLoop(config, data, replicas, say);
  } finally {
    await replicas.close();
  }
}

async function runLoop(
  config: TrainConfig,
  data: TrainData,
  replicas: Replicas,
  say: (line: string) => void,
): Promise<TrainResult> {
  const specs = replicas.specs;
  const sizes = specs.map((s) => s.size);
  const trainableIdx = specs.flatMap((s, i) => (s.trainable ? [i] : []));
  const nonTrainableIdx = specs.flatMap((s, i) => (s.trainable ? [] : [i]));
  const decay = trainableIdx.map((i) => (specs[i] as WeightSpec).name.endsWith('kernel'));
  if (data.train.count === 0) throw new Error('no Training rows: nothing to train on');
  // Fewer rows than a batch: one smaller batch per epoch (full batches only would train zero steps).
  const batch = Math.min(config.batch, data.train.count);
  if (batch < config.batch) {
    say(`only ${data.train.count} training images, fewer than --batch ${config.batch}: using batches of ${batch}`);
  }
  const stepsPerEpoch = Math.floor(data.train.count / batch);
  const totalSteps = stepsPerEpoch * config.epochs;
  const cw = classWeights(data.train.labels, data.train.count, config.classWeightPower);
  say(
    `train ${data.train.count} images, ${stepsPerEpoch} steps/epoch; class weights ${cw.map((w) => w.toFixed(2)).join(' ')}`,
  );

  let weights: Float32Array[];
  let adam = createAdamWState(trainableIdx.map((i) => sizes[i] as number));
  let meta: CheckpointMeta;
  const configRecord = { ...config, progress: undefined, resume: undefined } as Record<string, unknown>;
  if (config.resume && hasCheckpoint(config.runDir)) {
    const ck = await loadCheckpoint(
      config.runDir,
      sizes,
      trainableIdx.map((i) => sizes[i] as number),
    );
    if (ck.meta.config.arch !== config.arch) {
      throw new Error(`checkpoint in ${config.runDir} is for arch ${String(ck.meta.config.arch)}, not ${config.arch}`);
    }
    weights = ck.weights;
    adam = { step: ck.meta.adamStep, m: ck.m, v: ck.v };
    meta = { ...ck.meta, config: configRecord };
    say(`resumed from ${config.runDir}: epoch ${meta.epoch + 1}, step ${meta.step}/${stepsPerEpoch}`);
  } else {
    if (config.resume) say(`no checkpoint in ${config.runDir}; starting a new run`);
    weights = config.initFrom
      ? await weightsFromFolder(config.initFrom, specs)
      : initialWeights(specs, createRng(config.seed), config.kernelInit);
    if (config.initFrom) say(`initial weights from ${config.initFrom}`);
    meta = {
      version: 1,
      config: configRecord,
      epoch: 0,
      step: 0,
      globalStep: 0,
      adamStep: 0,
      best: null,
      history: [],
      elapsedS: 0,
      trainImages: 0,
      savedAt: new Date().toISOString(),
    };
  }

  const sources: SoftSource[] = [...(data.soft ?? [])];
  if (config.teacher) {
    sources.push({
      name: 'teacher',
      probs: await teacherTargets(replicas, config.teacher, data.train, say),
      weight: config.distillWeight ?? DEFAULT_DISTILL_WEIGHT,
    });
  }
  const soft = composeSoftTargets(data.train.labels, data.train.count, sources);
  if (soft) {
    const parts = sources.filter((s) => s.weight > 0).map((s) => `${s.name} ${s.weight}`);
    say(`targets: label ${(1 - soft.weight).toFixed(3)}, ${parts.join(', ')}`);
  }
  const selection = config.selection ?? 'fer';
  if (selection === 'fer+ferplus' && !data.ferPlus) throw new Error("selection 'fer+ferplus' needs FER+ labels");

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    say('interrupt: finishing the current step and saving a checkpoint (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const sessionStart = Date.now();
  const elapsedBefore = meta.elapsedS;
  const checkpoint = async () => {
    meta.elapsedS = elapsedBefore + (Date.now() - sessionStart) / 1000;
    meta.adamStep = adam.step;
    meta.savedAt = new Date().toISOString();
    await saveCheckpoint(config.runDir, { meta, weights, m: adam.m, v: adam.v });
  };

  const bar = config.progress
    ? new cliProgress.SingleBar(
        {
          format:
            'epoch {epoch} |{bar}| {value}/{total} | {imgps} img/s | ETA {eta_formatted} | loss {loss} | acc {acc}',
          noTTYOutput: true,
          notTTYSchedule: 15_000,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;

  let lastCheckpoint = Date.now();
  let interrupted = false;
  try {
    for (; meta.epoch < config.epochs && !stop; meta.epoch++, meta.step = 0) {
      const epoch = meta.epoch;
      const epochStart = Date.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = 0;
      bar?.start(stepsPerEpoch, meta.step, {
        epoch: `${epoch + 1}/${config.epochs}`,
        imgps: '-',
        loss: '-',
        acc: '-',
      });
      let step = 0;
      for (const indices of batchIndices(data.train.count, batch, config.seed, epoch, true)) {
        if (step++ < meta.step) continue; // resume inside an epoch on the same batches
        lr =
          config.schedule === 'onecycle'
            ? oneCycleLr(meta.globalStep, {
                maxLr: config.maxLr,
                totalSteps,
                pctStart: 0.3,
                divFactor: 25,
                finalDivFactor: 1e4,
              })
            : config.maxLr;
        const res = await replicas.step({
          weights,
          indices,
          seed: (config.seed * 7919 + meta.globalStep) >>> 0,
          globalBatch: indices.length,
          classWeights: cw,
          labelSmoothing: config.labelSmoothing,
          augment: config.augment,
          ...(soft ? { teacher: { probs: gatherRows(soft.probs, indices), weight: soft.weight } } : {}),
        });
        const params = trainableIdx.map((i) => weights[i] as Float32Array);
        adamWStep(params, res.grads, adam, lr, decay, { ...DEFAULT_ADAMW, weightDecay: config.weightDecay });
        // NaN weights can still give a finite loss (the loss clamps probabilities), so check them too.
        if (!params.every(allFinite)) {
          throw new TrainingDiverged(
            `training stopped: the weights became NaN or infinite at epoch ${epoch + 1}, step ${step}; nothing was published ` +
              '(check --init-from / --teacher models; a lower --lr usually helps)',
          );
        }
        nonTrainableIdx.forEach((i, k) => {
          weights[i] = res.nonTrainable[k] as Float32Array;
        });
        if (!Number.isFinite(res.lossSum)) {
          throw new TrainingDiverged(
            `training stopped: the loss is ${res.lossSum} at epoch ${epoch + 1}, step ${step}; nothing was published ` +
              '(a lower --lr usually helps)',
          );
        }
        lossSum += res.lossSum;
        correct += res.correct;
        seen += res.count;
        meta.step = step;
        meta.globalStep++;
        meta.trainImages += res.count;
        const secs = (Date.now() - epochStart) / 1000;
        bar?.update(step, {
          imgps: (seen / secs).toFixed(0),
          loss: (lossSum / seen).toFixed(3),
          acc: (correct / seen).toFixed(3),
        });
        if (stop) break;
        if (Date.now() - lastCheckpoint > config.checkpointEveryS * 1000) {
          await checkpoint();
          lastCheckpoint = Date.now();
        }
      }
      bar?.stop();
      if (stop) break;
      const seconds = (Date.now() - epochStart) / 1000;
      const probs = await replicas.predict(weights, 'public', false);
      const pub = evaluateClassification(data.publicTest.labels, probs, data.publicTest.count);
      const pubPlus = data.ferPlus ? ferPlusReport(data.ferPlus.publicTest, probs) : undefined;
      const score = selection === 'fer+ferplus' && pubPlus ? (pub.accuracy + pubPlus.accuracy) / 2 : pub.accuracy;
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: seen ? lossSum / seen : Number.NaN,
        trainAcc: seen ? correct / seen : Number.NaN,
        publicAcc: pub.accuracy,
        publicMacroF1: pub.macroF1,
        ...(pubPlus ? { publicFerPlusAcc: pubPlus.accuracy } : {}),
        score,
        lr,
        seconds,
        imgPerSec: seen / seconds,
      };
      meta.history.push(record);
      const improved = !meta.best || score > (meta.best.score ?? meta.best.publicAcc);
      if (improved) {
        meta.best = { epoch: epoch + 1, publicAcc: pub.accuracy, score };
        await saveBestWeights(config.runDir, weights);
      }
      say(
        `epoch ${epoch + 1}/${config.epochs}: train loss ${record.trainLoss.toFixed(4)} acc ${record.trainAcc.toFixed(4)} | ` +
          `PublicTest acc ${pub.accuracy.toFixed(4)} macro-F1 ${pub.macroF1.toFixed(4)}` +
          `${pubPlus ? ` FER+ acc ${pubPlus.accuracy.toFixed(4)} | ${selection} score ${score.toFixed(4)}` : ''}${improved ? ' (best)' : ''} | ` +
          `${seconds.toFixed(0)} s, ${record.imgPerSec.toFixed(0)} img/s, lr ${lr.toExponential(2)}`,
      );
      meta.step = stepsPerEpoch;
      if (meta.best && epoch + 1 - meta.best.epoch >= config.patience) {
        say(`early stopping: no PublicTest improvement for ${config.patience} epochs`);
        meta.epoch++;
        meta.step = 0;
        await checkpoint();
        break;
      }
      // Save as "next epoch, step 0" so a resume starts cleanly after this epoch.
      meta.epoch++;
      meta.step = 0;
      await checkpoint();
      meta.epoch--;
      lastCheckpoint = Date.now();
    }
    if (stop) {
      await checkpoint();
      interrupted = true;
      say(`checkpoint saved in ${config.runDir} at epoch ${meta.epoch + 1}, step ${meta.step}; continue with --resume`);
    }
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  if (interrupted) throw new TrainingInterrupted('training interrupted; checkpoint saved');
  if (!meta.best) throw new Error('no epoch finished; nothing to publish');

  const best = await loadBestWeights(config.runDir, sizes);
  const evaluation = await evaluateBest(replicas, best, data);
  say(
    `selected epoch ${meta.best.epoch} by PublicTest. PublicTest acc ${fmt(evaluation.PublicTest.plain)} (flip TTA ${fmt(evaluation.PublicTest.flipTta)}); ` +
      `PrivateTest acc ${fmt(evaluation.PrivateTest.plain)} (flip TTA ${fmt(evaluation.PrivateTest.flipTta)})`,
  );
  const wallTimeS = elapsedBefore + (Date.now() - sessionStart) / 1000;
  const trainSeconds = meta.history.reduce((s, h) => s + h.seconds, 0);
  return {
    specs,
    weights: best,
    backend: replicas.backend,
    history: meta.history,
    bestEpoch: meta.best.epoch,
    epochsRun: meta.history.length,
    wallTimeS,
    trainImgPerSec: trainSeconds > 0 ? meta.history.reduce((s, h) => s + h.imgPerSec * h.seconds, 0) / trainSeconds : 0,
    evaluation,
    interrupted,
  };
}

function fmt(r: EvalReport): string {
  return `${(r.accuracy * 100).toFixed(2)}%`;
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

async function evaluateBest(replicas: Replicas, weights: Float32Array[], data: TrainData): Promise<TrainEvaluation> {
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

export { EMOTION_COUNT };
