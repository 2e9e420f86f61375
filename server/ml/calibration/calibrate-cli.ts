/**
 * npm run calibrate -- --model <dir> [--data <fer2013.csv.gz>] [--ferplus <fer2013new.csv>] [--emotions a,b,…] [--workers N]
 *
 * Fits the folder's meter calibration on PublicTest only (fit-calibration.ts) from the
 * engine's raw output as the server runs it (same ONNX precision and TTA), writes
 * calibration.json (temperature, biases, per-emotion median meter before/after,
 * PublicTest accuracy and FER+ recall raw and calibrated), and records in
 * metrics.json the calibrated FER+ PublicTest recall per emotion, from which the
 * server's default prompt set is drawn (recall ≥ 50%).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { EMOTION_COUNT, EMOTIONS, type Emotion, isEmotion } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { DEFAULT_MIN_RECALL, defaultPromptSet } from '../../game/prompts.ts';
import { defaultFerPlusPath, FERPLUS_FILE_NAME, resolveDataPath, selectUsage, usageIndices } from '../data/dataset.ts';
import { readFer2013 } from '../data/fer2013-reader.ts';
import { FERPLUS_VOTE_COLUMNS, ferPlusMajority, writeFerPlusDistribution } from '../data/ferplus-labels.ts';
import { alignFerPlus, readFerPlus } from '../data/ferplus-reader.ts';
import { CALIBRATION_FILE, type Calibration } from '../engine/calibration.ts';
import { createEmotionEngine } from '../engine/create-engine.ts';
import { HASHES_FILE, writeModelHashes } from '../engine/model-hashes.ts';
import { evaluateClassification } from '../eval/classification-metrics.ts';
import type { EvalReport } from '../eval/report-types.ts';
import { calibrateAll, classMedians, fitBiases, fitTemperature } from './fit-calibration.ts';

function emotionList(v: string): Emotion[] {
  const list = v.split(',').map((s) => s.trim());
  const bad = list.filter((e) => !isEmotion(e));
  if (bad.length || list.length < 2)
    throw new InvalidArgumentError(
      `must be at least two of ${EMOTIONS.join(',')} (bad: ${bad.join(',') || 'too few'})`,
    );
  return list as Emotion[];
}

const byEmotion = <T>(values: readonly T[]): Record<Emotion, T> =>
  Object.fromEntries(EMOTIONS.map((e, i) => [e, values[i] as T])) as Record<Emotion, T>;
const round4 = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 10_000);
const recallOf = (r: EvalReport) => byEmotion(EMOTIONS.map((e) => round4(r.perClass[e]?.recall ?? null)));

export async function main(argv = process.argv): Promise<void> {
  const program: Command = new Command()
    .name('calibrate')
    .description("Fit a model folder's meter calibration on PublicTest (FER+ majority labels)")
    .requiredOption('--model <dir>', 'model folder')
    .option('--data <file>', 'FER2013 csv or csv.gz (default: $FER2013_CSV, else ../shared/data/fer2013.csv.gz)')
    .option('--ferplus <file>', `FER+ votes for the same rows (default ${FERPLUS_FILE_NAME} beside --data)`)
    .option('--emotions <list>', 'emotions whose median meters are equalised (default all seven)', emotionList)
    .option('--workers <n>', 'inference worker threads', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be an integer in 1-64');
      return n;
    })
    .showHelpAfterError();
  program.parse(argv);
  const o = program.opts<{ model: string; data?: string; ferplus?: string; emotions?: Emotion[]; workers?: number }>();
  const dir = resolve(o.model);
  if (!existsSync(join(dir, 'model.json'))) program.error(`error: --model ${o.model}: no model.json there`);
  const data = resolveDataPath(o.data);
  if (!data || !existsSync(data)) program.error(`error: FER2013 file ${data ?? '(none given)'} not found`);
  const plusFile = o.ferplus ? resolve(o.ferplus) : defaultFerPlusPath(data);
  if (!plusFile || !existsSync(plusFile))
    program.error(`error: FER+ file ${plusFile ?? '(none beside --data)'} not found`);

  const fer = await readFer2013(data);
  const plus = await readFerPlus(plusFile);
  alignFerPlus(fer, plus, plusFile);
  const rows = usageIndices(fer, 'PublicTest');
  const pub = selectUsage(fer, 'PublicTest');
  const n = pub.count;
  const majority = Int8Array.from(rows, (r) => ferPlusMajority(plus.votes, r * FERPLUS_VOTE_COLUMNS));
  // Cross-entropy targets: the FER+ vote distribution of each face (rows without one: the original label).
  const targets = new Float32Array(n * EMOTION_COUNT);
  rows.forEach((r, k) => {
    if (!writeFerPlusDistribution(plus.votes, r * FERPLUS_VOTE_COLUMNS, targets, k * EMOTION_COUNT))
      targets[k * EMOTION_COUNT + (pub.labels[k] as number)] = 1;
  });

  const engine = await createEmotionEngine({
    modelDir: dir,
    calibrate: false,
    maxBatch: 64,
    ...(o.workers ? { workers: o.workers } : {}),
  });
  const raw = new Float32Array(n * EMOTION_COUNT);
  try {
    const out = await engine.predict(
      Array.from({ length: n }, (_, i) => pub.images.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES)),
    );
    for (const [i, p] of out.entries()) raw.set(p, i * EMOTION_COUNT);
  } finally {
    await engine.dispose();
  }

  const emotions = (o.emotions ?? [...EMOTIONS]).map((e) => EMOTIONS.indexOf(e));
  const temperature = fitTemperature(raw, targets, n);
  const fit = fitBiases(raw, majority, n, temperature, emotions);
  const cal = calibrateAll({ temperature, bias: fit.bias }, raw, n);
  const before = classMedians(raw, majority, n);
  const after = classMedians(cal, majority, n);

  const plusRows = rows.flatMap((_, k) => ((majority[k] as number) >= 0 ? [k] : []));
  const pick = (p: Float32Array) => {
    const out = new Float32Array(plusRows.length * EMOTION_COUNT);
    plusRows.forEach((k, j) => {
      out.set(p.subarray(k * EMOTION_COUNT, (k + 1) * EMOTION_COUNT), j * EMOTION_COUNT);
    });
    return out;
  };
  const plusLabels = Uint8Array.from(plusRows, (k) => majority[k] as number);
  const report = {
    raw: {
      fer: evaluateClassification(pub.labels, raw, n),
      ferplus: evaluateClassification(plusLabels, pick(raw), plusLabels.length),
    },
    calibrated: {
      fer: evaluateClassification(pub.labels, cal, n),
      ferplus: evaluateClassification(plusLabels, pick(cal), plusLabels.length),
    },
  };
  const ferplusRecall = recallOf(report.calibrated.ferplus);
  const rawRecall = recallOf(report.raw.ferplus);
  const promptSet = defaultPromptSet(
    Object.fromEntries(Object.entries(ferplusRecall).filter(([, v]) => v !== null)) as Partial<Record<Emotion, number>>,
  );
  const calibration: Calibration = {
    version: 1,
    temperature: round4(temperature) as number,
    bias: fit.bias.map((b) => round4(b) as number),
    method:
      'q = softmax(log p / temperature + bias); temperature by cross-entropy to the FER+ vote distributions, biases so the median q of each emotion over PublicTest faces with that FER+ majority is equal',
    fittedOn: { data: data.split('/').pop(), ferplus: plusFile.split('/').pop(), usage: 'PublicTest', images: n },
    engine: engine.name,
    equalised: emotions.map((e) => EMOTIONS[e]),
    medianMeter: { before: byEmotion(before.map(round4)), after: byEmotion(after.map(round4)) },
    publicTest: {
      ferAccuracy: { raw: round4(report.raw.fer.accuracy), calibrated: round4(report.calibrated.fer.accuracy) },
      ferplusAccuracy: {
        raw: round4(report.raw.ferplus.accuracy),
        calibrated: round4(report.calibrated.ferplus.accuracy),
      },
      ferplusImages: plusLabels.length,
      ferplusRecall: { raw: rawRecall, calibrated: ferplusRecall },
    },
    promptSet,
    minRecall: DEFAULT_MIN_RECALL,
  };
  writeFileSync(join(dir, CALIBRATION_FILE), `${JSON.stringify(calibration, null, 2)}\n`);
  const metricsFile = join(dir, 'metrics.json');
  if (existsSync(metricsFile)) {
    const m = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, unknown>;
    m.calibration = {
      file: CALIBRATION_FILE,
      temperature: calibration.temperature,
      medianMeter: calibration.medianMeter,
      ferplusPublicRecallRaw: rawRecall,
      ferplusPublicRecall: ferplusRecall,
      promptSet,
    };
    writeFileSync(metricsFile, `${JSON.stringify(m, null, 2)}\n`);
  }
  // The server refuses a folder whose files do not match its SHA256SUMS: list the new calibration.json.
  if (existsSync(join(dir, HASHES_FILE))) await writeModelHashes(dir);
  const pct = (v: number | null) => (v === null ? '   –  ' : `${(100 * v).toFixed(1).padStart(5)}%`);
  console.log(
    `temperature ${temperature.toFixed(3)}; biases ${fit.bias.map((b) => b.toFixed(3)).join(' ')} (${fit.rounds} rounds)`,
  );
  console.log('emotion    median meter before  after   FER+ recall raw  calibrated');
  EMOTIONS.forEach((e, i) => {
    console.log(
      `${e.padEnd(10)} ${pct(before[i] ?? null).padStart(18)} ${pct(after[i] ?? null)} ${pct(rawRecall[e]).padStart(16)} ${pct(ferplusRecall[e]).padStart(11)}`,
    );
  });
  console.log(
    `PublicTest accuracy: FER2013 ${pct(report.raw.fer.accuracy)} → ${pct(report.calibrated.fer.accuracy)}, FER+ ${pct(report.raw.ferplus.accuracy)} → ${pct(report.calibrated.ferplus.accuracy)} (${plusLabels.length} faces)`,
  );
  console.log(`default prompt set (FER+ PublicTest recall ≥ ${DEFAULT_MIN_RECALL * 100}%): ${promptSet.join(', ')}`);
  console.log(`wrote ${join(dir, CALIBRATION_FILE)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`calibrate failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
