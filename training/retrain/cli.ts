/**
 * `npm run retrain -- [--data <csv|csv.gz> …] [--arch …] [--epochs N] [--batch N] [--out models/<name>] [--resume] [--seed N]`
 * Everything is validated before training starts: bad flags, missing or malformed
 * data, an unwritable output folder all end here with a clear message and exit 2.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { MODEL_JSON } from '../../server/ml/model-folder/files.ts';
import {
  concatImages,
  defaultFerPlusPath,
  FERPLUS_FILE_NAME,
  gather,
  PROJECT_ROOT,
  resolveDataPath,
  selectUsage,
  usageIndices,
} from '../data/dataset.ts';
import { type Fer2013Data, Fer2013FormatError, readFer2013 } from '../data/fer2013-reader.ts';
import { ferPlusMajorities } from '../data/ferplus-labels.ts';
import { alignFerPlus, type FerPlusData, FerPlusFormatError, readFerPlus } from '../data/ferplus-reader.ts';
import { ARCHITECTURES, type Architecture, DEFAULT_ARCHITECTURE } from '../model/architectures.ts';
import { initTrainingBackend } from '../runtime/training-backend.ts';
import { faceApiProbsCached } from '../teachers/faceapi-cache.ts';
import { donatedValidationAccuracy, holdOutExtraValidation } from './donated-validation.ts';
import { KERNEL_INITS, type KernelInit } from './init-weights.ts';
import { publishModel } from './publish.ts';
import { PublishRefused } from './publish-guard.ts';
import type { SoftSource } from './soft-targets.ts';
import {
  DEFAULT_DISTILL_WEIGHT,
  SELECTIONS,
  type Selection,
  type TrainConfig,
  type TrainData,
  TrainingDiverged,
  TrainingInterrupted,
  type TrainResult,
} from './train-types.ts';
import { evaluateRunBest, train } from './trainer.ts';
import { ferPlusTrainingRows, pickRows, sourceWithExtraRows } from './training-set.ts';

/** Weight of the FER+ vote distribution in each target when a FER+ file is used, unless --ferplus-weight says otherwise. */
export const DEFAULT_FERPLUS_WEIGHT = 0.5;

class UsageError extends Error {}

function intIn(name: string, min: number, max: number) {
  return (v: string) => {
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be an integer`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    return n;
  };
}

function numIn(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number between ${min} and ${max}`);
    }
    return n;
  };
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function buildProgram(): Command {
  return new Command('retrain')
    .description('Train the emotion CNN on FER2013 and publish it into a model folder the server loads.')
    .option(
      '--data <file>',
      'FER2013 csv/csv.gz (repeatable; the first is the FER2013 file; of extra files, Training rows are added to training and PublicTest rows are reported as held-out validation, e.g. donated crops)',
      collect,
      [],
    )
    .addOption(new Option('--arch <name>', 'architecture').choices(ARCHITECTURES).default(DEFAULT_ARCHITECTURE))
    .addOption(
      new Option(
        '--recipe <name>',
        "'default' (augmentation, AdamW one-cycle, label smoothing, class weights) or 'paper' (seed paper: Adam 1e-3, batch 64, no augmentation)",
      )
        .choices(['default', 'paper'])
        .default('default'),
    )
    .option('--epochs <n>', 'maximum epochs', intIn('--epochs', 1, 1000))
    .option('--batch <n>', 'global batch size', intIn('--batch', 2, 1024))
    .option('--lr <x>', 'peak learning rate', numIn('--lr', 1e-6, 1))
    .option('--weight-decay <x>', 'AdamW decoupled weight decay', numIn('--weight-decay', 0, 1))
    .option('--label-smoothing <x>', 'label smoothing', numIn('--label-smoothing', 0, 0.5))
    .option(
      '--class-weight-power <x>',
      'class weight = (mean/count)^power; 0 = off',
      numIn('--class-weight-power', 0, 1),
    )
    .addOption(
      new Option(
        '--kernel-init <scheme>',
        "initial kernels: 'pytorch' (U(±1/√fan-in)) or 'he' (He normal convs, Glorot dense; about 2.4× larger, so a smaller effective learning rate under batch norm: the models trained before 2026-11-28 used it)",
      )
        .choices(KERNEL_INITS)
        .default('pytorch'),
    )
    .option('--patience <n>', 'early stopping: epochs without PublicTest improvement', intIn('--patience', 1, 1000))
    .option('--out <dir>', 'model folder to publish into', 'models/emotion')
    .option('--run-dir <dir>', 'checkpoint/log folder (default runs/<out name>)')
    .option('--resume', 'continue the run in --run-dir from its last checkpoint', false)
    .option(
      '--teacher <dir>',
      'distil from a published model of the same --arch: its flip-averaged predictions are mixed into the targets',
    )
    .option(
      '--distill-weight <x>',
      'weight of the teacher in the target (with --teacher)',
      numIn('--distill-weight', 0, 1),
    )
    .option(
      '--ferplus <file>',
      `FER+ votes for the same rows (Microsoft's fer2013new.csv): mixed into the targets, not-a-face rows dropped, FER+ accuracy reported (default: ${FERPLUS_FILE_NAME} beside the FER2013 file, e.g. ../shared/data/${FERPLUS_FILE_NAME}, when it exists)`,
    )
    .option('--no-ferplus', 'do not use FER+ votes even when the default file exists')
    .option(
      '--ferplus-weight <x>',
      `weight of the FER+ vote distribution in the target (default ${DEFAULT_FERPLUS_WEIGHT} with FER+)`,
      numIn('--ferplus-weight', 0, 1),
    )
    .option(
      '--faceapi-weight <x>',
      "weight of face-api's FaceExpressionNet predictions in the target (computed once per data file, cached in the run folder); 0 = off",
      numIn('--faceapi-weight', 0, 1),
      0,
    )
    .addOption(
      new Option(
        '--selection <criterion>',
        "how the epoch is picked on PublicTest: 'fer' (accuracy on the original labels) or 'fer+ferplus' (mean of that and FER+ majority accuracy; the default with FER+)",
      ).choices(SELECTIONS),
    )
    .option(
      '--init-from <dir>',
      'start from a published model folder of the same --arch (a warm restart: fresh optimizer and schedule) instead of random weights',
    )
    .option(
      '--publish-checkpoint',
      "publish the run's best weights so far without training (an interim model while a long run continues)",
      false,
    )
    .option('--seed <n>', 'random seed', intIn('--seed', 0, 2 ** 31 - 1), 42)
    .option(
      '--workers <n>',
      'data-parallel worker threads',
      intIn('--workers', 1, 64),
      Math.min(2, availableParallelism()),
    )
    .addOption(new Option('--backend <name>', 'force a tfjs backend').choices(['node', 'wasm', 'cpu']))
    .option('--tta', 'have the server average each frame with its mirror (doubles the cost per frame)', false)
    .option('--skip-bad-rows', 'skip malformed CSV rows (reported) instead of failing', false)
    .option(
      '--force',
      'publish even when the model already in --out serves a higher PublicTest accuracy (otherwise refused, saying both)',
      false,
    )
    .option('--no-progress', 'no progress bar')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

interface Parsed {
  data: string[];
  arch: Architecture;
  recipe: 'default' | 'paper';
  epochs?: number;
  batch?: number;
  lr?: number;
  weightDecay?: number;
  labelSmoothing?: number;
  classWeightPower?: number;
  kernelInit: KernelInit;
  patience?: number;
  out: string;
  runDir?: string;
  resume: boolean;
  initFrom?: string;
  teacher?: string;
  distillWeight?: number;
  /** A path, or false for --no-ferplus, or true (commander's default for a --no- flag) = the default file when present. */
  ferplus?: string | boolean;
  ferplusWeight?: number;
  faceapiWeight: number;
  selection?: Selection;
  publishCheckpoint: boolean;
  seed: number;
  workers: number;
  backend?: 'node' | 'wasm' | 'cpu';
  tta: boolean;
  skipBadRows: boolean;
  progress: boolean;
  force: boolean;
}

function checkWritable(out: string): void {
  let dir = out;
  while (!existsSync(dir)) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${out}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
    if (dir === out) accessSync(dirname(out), constants.W_OK);
  } catch {
    throw new UsageError(`--out ${out}: ${dir === out ? dirname(out) : dir} is not writable`);
  }
}

/** Paths inside the project are recorded relative to it, so metrics.json reads the same on every clone. */
function projectPath(p: string): string {
  const rel = relative(PROJECT_ROOT, p);
  return rel.startsWith('..') || isAbsolute(rel) ? p : rel;
}

/** The folder must hold a model whose metrics.json (when present) names the same architecture. */
function checkModelOfArch(flag: string, dir: string, arch: Architecture): string {
  if (!existsSync(join(dir, MODEL_JSON))) throw new UsageError(`${flag} ${dir}: no ${MODEL_JSON} there`);
  const metricsFile = join(dir, 'metrics.json');
  if (existsSync(metricsFile)) {
    let theirs: unknown;
    try {
      theirs = (JSON.parse(readFileSync(metricsFile, 'utf8')) as { architecture?: unknown }).architecture;
    } catch {
      throw new UsageError(`${flag} ${dir}: metrics.json is not valid JSON`);
    }
    if (theirs !== undefined && theirs !== arch) {
      throw new UsageError(`${flag} ${dir}: that model is ${String(theirs)}, not --arch ${arch}`);
    }
  }
  return dir;
}

async function loadFerPlus(file: string, fer: Fer2013Data): Promise<FerPlusData> {
  if (!existsSync(file)) throw new UsageError(`--ferplus ${file} does not exist`);
  let plus: FerPlusData;
  try {
    plus = await readFerPlus(file);
  } catch (err) {
    if (err instanceof FerPlusFormatError) throw new UsageError(`bad FER+ file: ${err.message}`);
    throw err;
  }
  try {
    alignFerPlus(fer, plus, file);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  return plus;
}

/** The FER+ file to use: the flag, nothing with --no-ferplus, else fer2013new.csv beside the FER2013 file when it exists. */
export function resolveFerPlusPath(flag: string | boolean | undefined, ferFile: string): string | null {
  if (typeof flag === 'string') return resolve(flag);
  if (flag === false) return null;
  return defaultFerPlusPath(ferFile);
}

async function loadData(files: string[], skipBadRows: boolean): Promise<Fer2013Data[]> {
  const out: Fer2013Data[] = [];
  for (const f of files) {
    if (!existsSync(f)) throw new UsageError(`data file not found: ${f}`);
    try {
      const d = await readFer2013(f, { skipBadRows });
      if (d.skipped.total)
        console.error(`${f}: skipped ${d.skipped.total} bad rows: ${JSON.stringify(d.skipped.byReason)}`);
      out.push(d);
    } catch (err) {
      if (err instanceof Fer2013FormatError) throw new UsageError(`bad data file: ${err.message}`);
      throw err;
    }
  }
  return out;
}

/** FER+ majority labels of one split's rows, in split order. */
function pickMajority(plus: FerPlusData, fer: Fer2013Data, usage: 'PublicTest' | 'PrivateTest'): Int8Array {
  const all = ferPlusMajorities(plus.votes, plus.count);
  return Int8Array.from(usageIndices(fer, usage), (r) => all[r] as number);
}

/**
 * Trains with Ctrl-C (or SIGTERM) turned into a stop request: the trainer finishes
 * the current step and saves a checkpoint to resume from; a second signal quits at once.
 */
async function trainUntilSignalled(config: TrainConfig, data: TrainData): Promise<TrainResult> {
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    console.log('(Ctrl-C again to quit at once)');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await train(config, data, (line) => console.log(line), { stop: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const o = program.opts<Parsed>();
  try {
    const paper = o.recipe === 'paper';
    const primary = resolveDataPath(o.data[0]);
    if (!primary) throw new UsageError('no FER2013 file: pass --data <fer2013.csv[.gz]> or set FER2013_CSV');
    const files = [primary, ...o.data.slice(1).map((f) => resolve(f))];
    const out = resolve(o.out);
    checkWritable(out);
    const runDir = resolve(o.runDir ?? resolve(PROJECT_ROOT, 'runs', basename(out)));
    checkWritable(runDir);
    mkdirSync(runDir, { recursive: true });

    const initFrom =
      o.initFrom === undefined ? undefined : checkModelOfArch('--init-from', resolve(o.initFrom), o.arch);
    const teacher = o.teacher === undefined ? undefined : checkModelOfArch('--teacher', resolve(o.teacher), o.arch);
    if (o.distillWeight !== undefined && !teacher) throw new UsageError('--distill-weight needs --teacher');
    const ferplusFile = resolveFerPlusPath(o.ferplus, primary);
    if (o.ferplusWeight !== undefined && !ferplusFile) throw new UsageError('--ferplus-weight needs a FER+ file');
    const ferplusWeight = ferplusFile ? (o.ferplusWeight ?? DEFAULT_FERPLUS_WEIGHT) : 0;
    const distillWeight = teacher ? (o.distillWeight ?? DEFAULT_DISTILL_WEIGHT) : 0;
    const softTotal = ferplusWeight + distillWeight + o.faceapiWeight;
    if (softTotal > 1 + 1e-9) {
      throw new UsageError(
        `--ferplus-weight ${ferplusWeight} + --distill-weight ${distillWeight} + --faceapi-weight ${o.faceapiWeight} = ${softTotal}: the weights must sum to at most 1 (the label gets the rest)`,
      );
    }
    const selection: Selection = o.selection ?? (ferplusFile ? 'fer+ferplus' : 'fer');
    if (selection === 'fer+ferplus' && !ferplusFile) throw new UsageError('--selection fer+ferplus needs a FER+ file');

    const choice = await initTrainingBackend({ force: o.backend, log: (m) => console.log(m) });
    const [fer, ...extraFiles] = await loadData(files, o.skipBadRows);
    // Extra files (e.g. donated crops) train on their Training rows; their PublicTest rows are only reported.
    const { train: extra, heldOut } = holdOutExtraValidation(files.slice(1), extraFiles);
    if (!fer) throw new UsageError('no FER2013 file');
    const plus = ferplusFile ? await loadFerPlus(ferplusFile, fer) : null;
    const extraRows = extra.reduce((t, d) => t + d.count, 0);
    let trainRows = usageIndices(fer, 'Training');
    const soft: SoftSource[] = [];
    if (plus) {
      const t = ferPlusTrainingRows(plus.votes, trainRows);
      trainRows = t.rows;
      console.log(
        `FER+ ${ferplusFile}: ${t.droppedNotAFace} not-a-face Training rows dropped; ${t.missing.reduce((a, b) => a + b, 0)} rows without a game-emotion vote train on their label`,
      );
      soft.push(sourceWithExtraRows('ferplus', ferplusWeight, t.probs, t.missing, extraRows));
    }
    if (o.faceapiWeight > 0) {
      const all = await faceApiProbsCached(runDir, fer.images, fer.count, {
        workers: o.workers,
        backend: o.backend === 'cpu' ? 'cpu' : 'wasm',
        log: (line) => console.log(line),
      });
      soft.push(sourceWithExtraRows('faceapi', o.faceapiWeight, pickRows(all, trainRows), undefined, extraRows));
    }
    const data: TrainData = {
      train: concatImages([gather(fer, trainRows), ...extra.map((d) => selectUsage(d, 'all'))]),
      publicTest: selectUsage(fer, 'PublicTest'),
      privateTest: selectUsage(fer, 'PrivateTest'),
      ...(soft.length ? { soft } : {}),
      ...(plus
        ? {
            ferPlus: {
              publicTest: pickMajority(plus, fer, 'PublicTest'),
              privateTest: pickMajority(plus, fer, 'PrivateTest'),
            },
          }
        : {}),
    };
    for (const [k, v] of Object.entries(data)) {
      if (v.count === 0) throw new UsageError(`${primary} has no ${k === 'train' ? 'Training' : k} rows`);
    }
    const config: TrainConfig = {
      arch: o.arch,
      epochs: o.epochs ?? (paper ? 1 : 30),
      batch: o.batch ?? (paper ? 64 : 128),
      seed: o.seed,
      maxLr: o.lr ?? 1e-3,
      schedule: paper ? 'constant' : 'onecycle',
      weightDecay: o.weightDecay ?? (paper ? 0 : 0.01),
      labelSmoothing: o.labelSmoothing ?? (paper ? 0 : 0.1),
      classWeightPower: o.classWeightPower ?? (paper ? 0 : 0.3),
      augment: !paper,
      kernelInit: o.kernelInit,
      patience: o.patience ?? 10,
      workers: o.workers,
      backend: o.backend ?? (choice.backend as 'node' | 'wasm' | 'cpu'),
      runDir,
      resume: o.resume,
      ...(initFrom ? { initFrom } : {}),
      ...(teacher ? { teacher, distillWeight } : {}),
      selection,
      checkpointEveryS: 300,
      progress: o.progress,
    };
    console.log(`training ${config.arch} (${o.recipe} recipe) on ${data.train.count} images; run folder ${runDir}`);
    const result = o.publishCheckpoint
      ? await evaluateRunBest(config, data, (line) => console.log(line))
      : await trainUntilSignalled(config, data);
    const donatedValidation = donatedValidationAccuracy(o.arch, result.weights, heldOut, (line) => console.log(line));
    const { progress: _p, resume: _r, runDir: _d, ...recorded } = config;
    await publishModel({
      out,
      arch: o.arch,
      result,
      config: {
        ...recorded,
        ...(recorded.initFrom ? { initFrom: projectPath(recorded.initFrom) } : {}),
        ...(recorded.teacher ? { teacher: projectPath(recorded.teacher) } : {}),
        ...(ferplusFile ? { ferplus: basename(ferplusFile), ferplusWeight } : {}),
        ...(o.faceapiWeight > 0
          ? { faceapiTeacher: '@vladmandic/face-api FaceExpressionNet', faceapiWeight: o.faceapiWeight }
          : {}),
        labelWeight: Math.round((1 - softTotal) * 1e6) / 1e6,
        recipe: o.recipe,
        ...(donatedValidation.length ? { donatedValidation } : {}),
        ...(o.publishCheckpoint ? { interim: true } : {}),
      },
      tta: o.tta,
      dataFiles: files,
      fer,
      log: (line) => console.log(line),
      force: o.force,
    });
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`retrain: ${err.message}`);
      return 2;
    }
    if (err instanceof TrainingDiverged || err instanceof PublishRefused) {
      console.error(`retrain: ${err.message}`);
      return err instanceof PublishRefused ? 3 : 1;
    }
    if (err instanceof TrainingInterrupted) {
      console.error(`retrain: ${err.message}`);
      return 130;
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('retrain/cli.ts')) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
