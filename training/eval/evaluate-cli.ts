/**
 * npm run evaluate -- --model <dir> [--data <csv|csv.gz>] [--usage PrivateTest|PublicTest|Training|all]
 *                     [--labels fer|ferplus [--ferplus <fer2013new.csv>]]
 *                     [--engine onnx|tfjs] [--precision auto|fp32|int8] [--tta|--no-tta] [--workers N] [--json]
 *
 * --labels ferplus scores against FER+ majority labels (ferplus-labels.ts: the unique
 * top column of the 10 votes when it is one of the 7 game emotions; other rows are
 * left out and the report says how many).
 * Scores a model folder on FER2013-layout data through the same engine code the
 * game server uses (createEmotionEngine: worker pool, shared preprocessing, the
 * folder's served TTA setting unless --tta/--no-tta says otherwise).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createEmotionEngine } from '../../server/ml/engine/create-engine.ts';
import { HASHES_FILE } from '../../server/ml/model-folder/files.ts';
import { writeModelHashes } from '../../server/ml/model-folder/hashes.ts';
import type { EvalReport } from '../../server/ml/model-folder/metrics.ts';
import { EMOTION_COUNT, EMOTIONS, type Emotion } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { defaultFerPlusPath, FERPLUS_FILE_NAME, resolveDataPath, selectUsage } from '../data/dataset.ts';
import { readFer2013, USAGES, type Usage } from '../data/fer2013-reader.ts';
import { ferPlusMajorities } from '../data/ferplus-labels.ts';
import { alignFerPlus, readFerPlus } from '../data/ferplus-reader.ts';
import { evaluateClassification } from './classification-metrics.ts';
import { selectMajorityRows } from './ferplus-eval.ts';

export const LABEL_SETS = ['fer', 'ferplus'] as const;
export type LabelSet = (typeof LABEL_SETS)[number];

export interface EvaluateJson {
  model: string;
  usage: Usage | 'all';
  data: string;
  labels: LabelSet;
  /** Rows of the split left out (FER+: no majority label). */
  excluded: number;
  engine: string;
  tta: boolean;
  n: number;
  accuracy: number;
  macroF1: number;
  perClassRecall: Partial<Record<Emotion, number>>;
  perClass: EvalReport['perClass'];
  confusion: number[][];
  seconds: number;
}

export function toEvaluateJson(
  report: EvalReport,
  meta: {
    model: string;
    usage: Usage | 'all';
    data: string;
    labels: LabelSet;
    excluded: number;
    engine: string;
    tta: boolean;
    seconds: number;
  },
): EvaluateJson {
  const perClassRecall: Partial<Record<Emotion, number>> = {};
  for (const e of EMOTIONS) {
    const c = report.perClass[e];
    if (c) perClassRecall[e] = c.recall;
  }
  return {
    model: meta.model,
    usage: meta.usage,
    data: meta.data,
    labels: meta.labels,
    excluded: meta.excluded,
    engine: meta.engine,
    tta: meta.tta,
    n: report.n,
    accuracy: report.accuracy,
    macroF1: report.macroF1,
    perClassRecall,
    perClass: report.perClass,
    confusion: report.confusion,
    seconds: meta.seconds,
  };
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

/** The human-readable report (pure). Classes absent from the data have no row. */
export function formatEvaluation(j: EvaluateJson): string {
  const lines: string[] = [];
  lines.push(`model    ${j.model}`);
  lines.push(`data     ${j.data} (${j.usage}, ${j.n} images)`);
  lines.push(
    `labels   ${j.labels === 'ferplus' ? `FER+ 7-emotion majority (${j.excluded} rows without one left out)` : 'FER2013 original'}`,
  );
  lines.push(`engine   ${j.engine}${j.tta ? ', flip TTA' : ''}   ${j.seconds.toFixed(1)} s`);
  lines.push('');
  lines.push(`accuracy ${pct(j.accuracy)}   macro-F1 ${pct(j.macroF1)}`);
  lines.push('');
  lines.push(
    `${'class'.padEnd(10)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'F1'.padStart(10)}${'support'.padStart(9)}`,
  );
  for (const e of EMOTIONS) {
    const c = j.perClass[e];
    if (!c) continue;
    lines.push(
      `${e.padEnd(10)}${pct(c.precision).padStart(10)}${pct(c.recall).padStart(10)}${pct(c.f1).padStart(10)}${String(c.support).padStart(9)}`,
    );
  }
  lines.push('');
  lines.push('confusion (rows: true, columns: predicted)');
  const w = Math.max(9, ...j.confusion.flat().map((v) => String(v).length + 1));
  lines.push(`${''.padEnd(10)}${EMOTIONS.map((e) => e.slice(0, w - 1).padStart(w)).join('')}`);
  j.confusion.forEach((row, t) => {
    if (!j.perClass[EMOTIONS[t] as Emotion]) return;
    lines.push(`${(EMOTIONS[t] as string).padEnd(10)}${row.map((v) => String(v).padStart(w)).join('')}`);
  });
  return lines.join('\n');
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

interface Options {
  model: string;
  data?: string;
  usage: Usage | 'all';
  labels: LabelSet;
  ferplus?: string;
  engine?: 'onnx' | 'tfjs';
  precision: 'auto' | 'fp32' | 'int8';
  tta?: boolean;
  calibration: boolean;
  workers?: number;
  json?: boolean;
  record?: boolean;
}

/**
 * Records a result in the model's metrics.json under asServed.<labels>.<usage>, so the
 * card can show figures measured through the served engine (with the command that
 * produced them) next to the training-time ones.
 */
export function recordAsServed(metricsFile: string, j: EvaluateJson, command: string, calibrated = true): void {
  const m = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, unknown>;
  const asServed = (m.asServed ?? {}) as Record<string, Record<string, unknown>>;
  // --no-calibration results are kept apart: they measure the network, not what the server serves.
  const key = calibrated ? j.labels : `${j.labels}Network`;
  asServed[key] = {
    ...(asServed[key] ?? {}),
    [j.usage]: {
      accuracy: j.accuracy,
      macroF1: j.macroF1,
      n: j.n,
      excluded: j.excluded,
      perClassRecall: j.perClassRecall,
      engine: j.engine,
      tta: j.tta,
      data: j.data.split('/').pop(),
      command,
      measuredAt: new Date().toISOString(),
    },
  };
  m.asServed = asServed;
  writeFileSync(metricsFile, `${JSON.stringify(m, null, 2)}\n`);
}

export async function main(argv = process.argv): Promise<void> {
  const program: Command = new Command()
    .name('evaluate')
    .description('Evaluate a model folder on FER2013-layout data with the server inference path')
    .requiredOption('--model <dir>', 'model folder (model.json + weights.bin [+ model.onnx, metrics.json])')
    .option('--data <file>', 'FER2013 csv or csv.gz (default: $FER2013_CSV, else /work/shared/data/fer2013.csv.gz)')
    .addOption(new Option('--usage <usage>', 'rows to evaluate').choices([...USAGES, 'all']).default('PrivateTest'))
    .addOption(
      new Option('--labels <set>', "'fer' (original labels) or 'ferplus' (FER+ 7-emotion majority vote)")
        .choices(LABEL_SETS)
        .default('fer'),
    )
    .option(
      '--ferplus <file>',
      `FER+ votes for the same rows (with --labels ferplus; default ${FERPLUS_FILE_NAME} beside the --data file)`,
    )
    .addOption(
      new Option('--engine <engine>', 'inference engine (default: onnx when model.onnx loads, else tfjs)').choices([
        'onnx',
        'tfjs',
      ]),
    )
    .addOption(
      new Option('--precision <p>', 'ONNX file: auto = model.int8.onnx when present (as the server), else model.onnx')
        .choices(['auto', 'fp32', 'int8'])
        .default('auto'),
    )
    .option('--no-calibration', "score the network's raw output, without the folder's calibration.json")
    .option('--tta', 'average with the mirrored frame (default: metrics.json served.tta)')
    .option('--no-tta', 'no test-time augmentation')
    .option('--workers <n>', 'inference worker threads (default: one per core)', positiveInt)
    .option('--json', 'print one JSON object instead of the table')
    .option('--record', "record the result in the model's metrics.json (asServed.<labels>.<usage>) for its card")
    .showHelpAfterError();
  program.parse(argv);
  const opts = program.opts<Options>();

  const modelDir = resolve(opts.model);
  if (!existsSync(modelDir)) program.error(`error: --model ${opts.model} does not exist`, { exitCode: 2 });
  const data = resolveDataPath(opts.data);
  if (!data)
    program.error('error: no --data given, FER2013_CSV is unset and the default data file is missing', { exitCode: 2 });
  if (!existsSync(data)) program.error(`error: --data ${data} does not exist`, { exitCode: 2 });

  const ferplusFile = opts.ferplus ? resolve(opts.ferplus) : defaultFerPlusPath(data);
  if (opts.ferplus && opts.labels !== 'ferplus')
    program.error('error: --ferplus needs --labels ferplus', { exitCode: 2 });
  if (opts.labels === 'ferplus' && (!ferplusFile || !existsSync(ferplusFile)))
    program.error(
      `error: --labels ferplus needs the FER+ votes: ${ferplusFile ? `${ferplusFile} does not exist` : `no ${FERPLUS_FILE_NAME} beside ${data}`} (pass --ferplus <file>)`,
      { exitCode: 2 },
    );

  const t0 = performance.now();
  const all = await readFer2013(data);
  const rows = selectUsage(all, opts.usage);
  let majority: Int8Array | null = null;
  if (opts.labels === 'ferplus') {
    const plus = await readFerPlus(ferplusFile as string);
    alignFerPlus(all, plus, ferplusFile as string);
    const m = ferPlusMajorities(plus.votes, plus.count);
    const u = USAGES.indexOf(opts.usage as Usage);
    majority = opts.usage === 'all' ? m : m.filter((_, i) => all.usages[i] === u);
  }
  if (rows.count === 0) {
    console.error(`error: ${data} has no ${opts.usage} rows`);
    process.exit(1);
  }
  const engine = await createEmotionEngine({
    modelDir,
    ...(opts.engine ? { engine: opts.engine } : {}),
    ...(opts.workers ? { workers: opts.workers } : {}),
    ...(opts.tta !== undefined ? { tta: opts.tta } : {}),
    precision: opts.precision,
    calibrate: opts.calibration,
    maxBatch: 64,
  });
  let probs: Float32Array;
  try {
    const frames = Array.from({ length: rows.count }, (_, i) =>
      rows.images.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES),
    );
    const out = await engine.predict(frames);
    probs = new Float32Array(rows.count * EMOTION_COUNT);
    for (const [i, p] of out.entries()) probs.set(p, i * EMOTION_COUNT);
  } finally {
    await engine.dispose();
  }
  let report: EvalReport;
  let excluded = 0;
  if (majority) {
    const s = selectMajorityRows(majority, probs);
    excluded = rows.count - s.rows.length;
    report = evaluateClassification(s.labels, s.probs, s.labels.length);
  } else report = evaluateClassification(rows.labels, probs, rows.count);
  const tta = opts.tta ?? engine.name.includes('tta');
  const result = toEvaluateJson(report, {
    model: modelDir,
    usage: opts.usage,
    data,
    labels: opts.labels,
    excluded,
    engine: engine.name,
    tta,
    seconds: (performance.now() - t0) / 1000,
  });
  if (opts.record) {
    const metricsFile = resolve(modelDir, 'metrics.json');
    if (!existsSync(metricsFile)) throw new Error(`--record: ${metricsFile} does not exist`);
    const shown = argv.slice(2).filter((a) => a !== '--json');
    recordAsServed(metricsFile, result, `npm run evaluate -- ${shown.join(' ')}`, opts.calibration);
    // The server refuses a folder whose files do not match its SHA256SUMS: keep it current.
    if (existsSync(resolve(modelDir, HASHES_FILE))) await writeModelHashes(modelDir);
  }
  if (opts.json) console.log(JSON.stringify(result));
  else console.log(formatEvaluation(result));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`evaluate failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
