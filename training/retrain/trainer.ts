/**
 * The training loop: data-parallel over worker replicas, AdamW with a one-cycle
 * schedule in this thread, PublicTest accuracy after every epoch for model selection
 * and early stopping, checkpoints every epoch (and on a timer and when asked to stop).
 * PrivateTest is evaluated once, at the end, on the selected weights. The run's
 * state lives in run-state.ts, one epoch in epoch.ts, selection in select-best.ts;
 * stopping is requested by the caller (the CLI turns Ctrl-C into it).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { classCounts, type LabeledImages } from '../data/dataset.ts';
import { evaluateClassification } from '../eval/classification-metrics.ts';
import { type EpochRecord, hasCheckpoint, loadCheckpoint, saveBestWeights } from './checkpoint.ts';
import { type EpochPlan, trainEpoch } from './epoch.ts';
import type { WeightSpec } from './messages.ts';
import { Replicas, toShared } from './replicas.ts';
import { checkpointer, openRunState, trainableIndices } from './run-state.ts';
import { epochScore, formatAccuracy, selectAndEvaluate } from './select-best.ts';
import { composeSoftTargets, type SoftSource } from './soft-targets.ts';
import {
  DEFAULT_DISTILL_WEIGHT,
  type TrainConfig,
  type TrainData,
  TrainingInterrupted,
  type TrainResult,
} from './train-types.ts';
import { weightsFromFolder } from './warm-start.ts';

export interface TrainOptions {
  /** Aborting it stops the run after the current step, with a checkpoint to resume from. */
  stop?: AbortSignal;
}

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

function startReplicas(config: TrainConfig, data: TrainData): Promise<Replicas> {
  return Replicas.start(
    config.workers,
    config.arch,
    toShared(data.train),
    { public: toShared(data.publicTest), private: toShared(data.privateTest) },
    config.backend,
  );
}

/** Training throughput over every epoch, weighted by each epoch's time. */
function meanImgPerSec(history: readonly EpochRecord[]): number {
  const seconds = history.reduce((t, h) => t + h.seconds, 0);
  return seconds > 0 ? history.reduce((t, h) => t + h.imgPerSec * h.seconds, 0) / seconds : 0;
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
    const { weights, evaluation } = await selectAndEvaluate(replicas, config.runDir, data);
    log(
      `interim: epoch ${meta.best.epoch} of ${String(meta.config.epochs)} (best so far); PublicTest ${formatAccuracy(evaluation.PublicTest.plain)}, PrivateTest ${formatAccuracy(evaluation.PrivateTest.plain)}`,
    );
    return {
      specs: replicas.specs,
      weights,
      backend: replicas.backend,
      history: meta.history,
      bestEpoch: meta.best.epoch,
      epochsRun: meta.history.length,
      wallTimeS: meta.elapsedS,
      trainImgPerSec: meanImgPerSec(meta.history),
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

export async function train(
  config: TrainConfig,
  data: TrainData,
  log: (line: string) => void,
  options: TrainOptions = {},
): Promise<TrainResult> {
  mkdirSync(config.runDir, { recursive: true });
  const logFile = join(config.runDir, 'train.log');
  const say = (line: string) => {
    appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
    log(line);
  };

  const replicas = await startReplicas(config, data);
  say(`backend: ${replicas.backend} in ${replicas.size} worker thread(s); arch ${config.arch}`);
  try {
    return await runLoop(config, data, replicas, say, options.stop);
  } finally {
    await replicas.close();
  }
}

/** The fixed plan of a run: batches, schedule length, class weights, soft targets. */
async function planRun(
  config: TrainConfig,
  data: TrainData,
  replicas: Replicas,
  say: (line: string) => void,
): Promise<EpochPlan> {
  const specs = replicas.specs;
  if (data.train.count === 0) throw new Error('no Training rows: nothing to train on');
  // Fewer rows than a batch: one smaller batch per epoch (full batches only would train zero steps).
  const batch = Math.min(config.batch, data.train.count);
  if (batch < config.batch) {
    say(`only ${data.train.count} training images, fewer than --batch ${config.batch}: using batches of ${batch}`);
  }
  const stepsPerEpoch = Math.floor(data.train.count / batch);
  const cw = classWeights(data.train.labels, data.train.count, config.classWeightPower);
  say(
    `train ${data.train.count} images, ${stepsPerEpoch} steps/epoch; class weights ${cw.map((w) => w.toFixed(2)).join(' ')}`,
  );
  const trainableIdx = trainableIndices(specs);
  return {
    config,
    replicas,
    trainCount: data.train.count,
    batch,
    stepsPerEpoch,
    totalSteps: stepsPerEpoch * config.epochs,
    classWeights: cw,
    soft: null,
    trainableIdx,
    nonTrainableIdx: specs.flatMap((s, i) => (s.trainable ? [] : [i])),
    decay: trainableIdx.map((i) => (specs[i] as WeightSpec).name.endsWith('kernel')),
  };
}

async function runLoop(
  config: TrainConfig,
  data: TrainData,
  replicas: Replicas,
  say: (line: string) => void,
  stop: AbortSignal | undefined,
): Promise<TrainResult> {
  const plan = await planRun(config, data, replicas, say);
  const state = await openRunState(config, replicas.specs, plan.stepsPerEpoch, say);
  const { meta } = state;

  const sources: SoftSource[] = [...(data.soft ?? [])];
  if (config.teacher) {
    sources.push({
      name: 'teacher',
      probs: await teacherTargets(replicas, config.teacher, data.train, say),
      weight: config.distillWeight ?? DEFAULT_DISTILL_WEIGHT,
    });
  }
  plan.soft = composeSoftTargets(data.train.labels, data.train.count, sources);
  if (plan.soft) {
    const parts = sources.filter((s) => s.weight > 0).map((s) => `${s.name} ${s.weight}`);
    say(`targets: label ${(1 - plan.soft.weight).toFixed(3)}, ${parts.join(', ')}`);
  }
  const selection = config.selection ?? 'fer';
  if (selection === 'fer+ferplus' && !data.ferPlus) throw new Error("selection 'fer+ferplus' needs FER+ labels");

  const stopRequested = () => stop?.aborted === true;
  const onStop = () => say('interrupt: finishing the current step and saving a checkpoint');
  stop?.addEventListener('abort', onStop, { once: true });

  const checkpoint = checkpointer(config.runDir, state);
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
  const afterStep = async () => {
    if (Date.now() - lastCheckpoint > config.checkpointEveryS * 1000) {
      await checkpoint.save();
      lastCheckpoint = Date.now();
    }
  };
  let interrupted = false;
  try {
    for (; meta.epoch < config.epochs && !stopRequested(); meta.epoch++, meta.step = 0) {
      const epoch = meta.epoch;
      const stats = await trainEpoch(plan, state, { stopRequested, afterStep, bar });
      if (stats.stopped || stopRequested()) break;
      const scored = epochScore(data, await replicas.predict(state.weights, 'public', false), selection);
      const pub = scored.publicTest;
      const pubPlus = scored.publicFerPlus;
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: stats.seen ? stats.lossSum / stats.seen : Number.NaN,
        trainAcc: stats.seen ? stats.correct / stats.seen : Number.NaN,
        publicAcc: pub.accuracy,
        publicMacroF1: pub.macroF1,
        ...(pubPlus ? { publicFerPlusAcc: pubPlus.accuracy } : {}),
        score: scored.score,
        lr: stats.lr,
        seconds: stats.seconds,
        imgPerSec: stats.seen / stats.seconds,
      };
      meta.history.push(record);
      const improved = !meta.best || scored.score > (meta.best.score ?? meta.best.publicAcc);
      if (improved) {
        meta.best = { epoch: epoch + 1, publicAcc: pub.accuracy, score: scored.score };
        await saveBestWeights(config.runDir, state.weights);
      }
      say(
        `epoch ${epoch + 1}/${config.epochs}: train loss ${record.trainLoss.toFixed(4)} acc ${record.trainAcc.toFixed(4)} | ` +
          `PublicTest acc ${pub.accuracy.toFixed(4)} macro-F1 ${pub.macroF1.toFixed(4)}` +
          `${pubPlus ? ` FER+ acc ${pubPlus.accuracy.toFixed(4)} | ${selection} score ${scored.score.toFixed(4)}` : ''}${improved ? ' (best)' : ''} | ` +
          `${stats.seconds.toFixed(0)} s, ${record.imgPerSec.toFixed(0)} img/s, lr ${stats.lr.toExponential(2)}`,
      );
      meta.step = plan.stepsPerEpoch;
      if (meta.best && epoch + 1 - meta.best.epoch >= config.patience) {
        say(`early stopping: no PublicTest improvement for ${config.patience} epochs`);
        meta.epoch++;
        meta.step = 0;
        await checkpoint.save();
        break;
      }
      // Save as "next epoch, step 0" so a resume starts cleanly after this epoch.
      meta.epoch++;
      meta.step = 0;
      await checkpoint.save();
      meta.epoch--;
      lastCheckpoint = Date.now();
    }
    if (stopRequested()) {
      await checkpoint.save();
      interrupted = true;
      say(`checkpoint saved in ${config.runDir} at epoch ${meta.epoch + 1}, step ${meta.step}; continue with --resume`);
    }
  } finally {
    bar?.stop();
    stop?.removeEventListener('abort', onStop);
  }
  if (interrupted) throw new TrainingInterrupted('training interrupted; checkpoint saved');
  if (!meta.best) throw new Error('no epoch finished; nothing to publish');

  const { weights: best, evaluation } = await selectAndEvaluate(replicas, config.runDir, data);
  say(
    `selected epoch ${meta.best.epoch} by PublicTest. PublicTest acc ${formatAccuracy(evaluation.PublicTest.plain)} (flip TTA ${formatAccuracy(evaluation.PublicTest.flipTta)}); ` +
      `PrivateTest acc ${formatAccuracy(evaluation.PrivateTest.plain)} (flip TTA ${formatAccuracy(evaluation.PrivateTest.flipTta)})`,
  );
  return {
    specs: replicas.specs,
    weights: best,
    backend: replicas.backend,
    history: meta.history,
    bestEpoch: meta.best.epoch,
    epochsRun: meta.history.length,
    wallTimeS: checkpoint.elapsedS(),
    trainImgPerSec: meanImgPerSec(meta.history),
    evaluation,
    interrupted,
  };
}
