/**
 * npm run calibrate -- --model <dir> [--data <fer2013.csv.gz>] [--ferplus <fer2013new.csv>] [--emotions a,b,…]
 *                      [--target-median m] [--workers N]
 * npm run calibrate -- --model <dir> --card-only
 *
 * Fits the folder's calibration (version 2) on PublicTest only (fit-calibration.ts) from
 * the engine's raw output as the server runs it (same ONNX precision and TTA): a
 * temperature for the class probabilities and one meter map per emotion. Writes
 * calibration.json (with the per-emotion median meter before/after and the as-served FER+
 * recall), records in metrics.json the FER+ PublicTest recall per emotion as served, from
 * which the server's default prompt set is drawn (recall ≥ 50%), re-renders the card's
 * "Meter calibration" section and refreshes SHA256SUMS. --card-only only re-renders that
 * section (after `npm run model-card`, or after recording faces with `npm run meter:faces`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_MIN_RECALL, defaultPromptSet } from '../../server/game/prompts.ts';
import {
  CALIBRATION_FILE,
  CALIBRATION_VERSION,
  type Calibration,
  parseCalibration,
} from '../../server/ml/engine/calibration.ts';
import { createEmotionEngine } from '../../server/ml/engine/create-engine.ts';
import { HASHES_FILE } from '../../server/ml/model-folder/files.ts';
import { writeModelHashes } from '../../server/ml/model-folder/hashes.ts';
import type { EvalReport } from '../../server/ml/model-folder/metrics.ts';
import { EMOTION_COUNT, EMOTIONS, type Emotion, isEmotion } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { defaultFerPlusPath, FERPLUS_FILE_NAME, resolveDataPath, selectUsage, usageIndices } from '../data/dataset.ts';
import { readFer2013 } from '../data/fer2013-reader.ts';
import { FERPLUS_VOTE_COLUMNS, ferPlusMajority, writeFerPlusDistribution } from '../data/ferplus-labels.ts';
import { alignFerPlus, readFerPlus } from '../data/ferplus-reader.ts';
import { evaluateClassification } from '../eval/classification-metrics.ts';
import { updateCalibrationCard } from './card-section.ts';
import {
  classMedians,
  countArgmaxChanges,
  fitMeterMaps,
  fitTemperature,
  meterAll,
  otherFacesQuantile,
  temperatureAll,
} from './fit-calibration.ts';

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
    .option(
      '--target-median <m>',
      'common median meter (default: the consensus of the emotions, the mean of their median logits)',
      (v) => {
        const m = Number(v);
        if (!(m > 0 && m < 1)) throw new InvalidArgumentError('must be a number in (0, 1)');
        return m;
      },
    )
    .option(
      '--card-only',
      "only re-render MODEL_CARD.md's meter calibration section from calibration.json and metrics.json",
    )
    .option('--workers <n>', 'inference worker threads', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be an integer in 1-64');
      return n;
    })
    .showHelpAfterError();
  program.parse(argv);
  const o = program.opts<{
    model: string;
    data?: string;
    ferplus?: string;
    emotions?: Emotion[];
    targetMedian?: number;
    cardOnly?: boolean;
    workers?: number;
  }>();
  const dir = resolve(o.model);
  if (!existsSync(join(dir, 'model.json'))) program.error(`error: --model ${o.model}: no model.json there`);
  if (o.cardOnly) {
    updateCalibrationCard(dir);
    console.log(`wrote the meter calibration section of ${join(dir, 'MODEL_CARD.md')}`);
    return;
  }
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
  const engineName = engine.name;
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
  const served = temperatureAll(temperature, raw, n);
  const fit = fitMeterMaps(served, majority, n, emotions, {
    ...(o.targetMedian === undefined ? {} : { targetMedian: o.targetMedian }),
  });
  const calibration = parseCalibration(
    {
      version: CALIBRATION_VERSION,
      temperature: round4(temperature),
      meter: Object.fromEntries(
        EMOTIONS.map((e) => [e, { x: fit.meter[e].x.map(round4), y: fit.meter[e].y.map(round4) }]),
      ),
    },
    'fitted calibration',
  );
  const meters = meterAll(calibration, temperatureAll(calibration.temperature, raw, n), n);
  const before = classMedians(raw, majority, n);
  const after = classMedians(meters, majority, n);

  const plusRows = rows.flatMap((_, k) => ((majority[k] as number) >= 0 ? [k] : []));
  const pick = (p: Float32Array) => {
    const out = new Float32Array(plusRows.length * EMOTION_COUNT);
    plusRows.forEach((k, j) => {
      out.set(p.subarray(k * EMOTION_COUNT, (k + 1) * EMOTION_COUNT), j * EMOTION_COUNT);
    });
    return out;
  };
  const plusLabels = Uint8Array.from(plusRows, (k) => majority[k] as number);
  const ferReport = evaluateClassification(pub.labels, served, n);
  const plusReport = evaluateClassification(plusLabels, pick(served), plusLabels.length);
  // The temperature must not move the top class: as-served accuracy is the network's.
  const argmaxChanged = countArgmaxChanges(raw, served, n);
  const ferplusRecall = recallOf(plusReport);
  const promptSet = defaultPromptSet(
    Object.fromEntries(Object.entries(ferplusRecall).filter(([, v]) => v !== null)) as Partial<Record<Emotion, number>>,
  );
  const others = byEmotion(EMOTIONS.map((_, c) => round4(otherFacesQuantile(raw, majority, n, c, 0.9))));
  const othersAfter = byEmotion(EMOTIONS.map((_, c) => round4(otherFacesQuantile(meters, majority, n, c, 0.9))));
  const file: Calibration = {
    ...calibration,
    method:
      'probabilities q = softmax(log p / temperature), temperature by cross-entropy to the FER+ vote distributions (the top class never changes); meter for the prompted emotion e = piecewise-linear map of q_e through meter[e] (knots: quantiles of q_e over PublicTest faces whose FER+ majority is e, placed on a common reference), so the median meter of those faces is the same for every equalised emotion',
    fittedOn: { data: data.split('/').pop(), ferplus: plusFile.split('/').pop(), usage: 'PublicTest', images: n },
    engine: engineName,
    reference: fit.reference.map((r) => ({ quantile: r.quantile, meter: round4(r.meter) })),
    equalised: fit.equalised,
    identity: fit.identity,
    faces: fit.faces,
    medianMeter: { before: byEmotion(before.map(round4)), after: byEmotion(after.map(round4)) },
    otherFacesP90: { before: others, after: othersAfter },
    publicTest: {
      ferAccuracy: round4(ferReport.accuracy),
      ferplusAccuracy: round4(plusReport.accuracy),
      ferplusImages: plusLabels.length,
      ferplusRecall,
      argmaxChanged,
    },
    promptSet,
    minRecall: DEFAULT_MIN_RECALL,
  };
  writeFileSync(join(dir, CALIBRATION_FILE), `${JSON.stringify(file, null, 2)}\n`);
  const metricsFile = join(dir, 'metrics.json');
  if (existsSync(metricsFile)) {
    const m = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, unknown>;
    // servedPublicRecall (the default prompt set) reads ferplusPublicRecall; the card reads the rest.
    // The temperature keeps the top class, so the network's recall is the served one.
    m.calibration = {
      file: CALIBRATION_FILE,
      version: CALIBRATION_VERSION,
      temperature: file.temperature,
      medianMeter: file.medianMeter,
      otherFacesP90: file.otherFacesP90,
      faces: fit.faces,
      ferplusPublicRecallRaw: ferplusRecall,
      ferplusPublicRecall: ferplusRecall,
      promptSet,
    };
    writeFileSync(metricsFile, `${JSON.stringify(m, null, 2)}\n`);
    updateCalibrationCard(dir);
  }
  // The server refuses a folder whose files do not match its SHA256SUMS: list the new files.
  if (existsSync(join(dir, HASHES_FILE))) await writeModelHashes(dir);
  const pct = (v: number | null) => (v === null ? '   –  ' : `${(100 * v).toFixed(1).padStart(5)}%`);
  const num = (v: number | null | undefined) => (v === null || v === undefined ? '  –  ' : v.toFixed(3));
  console.log(
    `temperature ${temperature.toFixed(4)}; reference ${fit.reference.map((r) => `q${r.quantile}→${r.meter.toFixed(3)}`).join(' ')}`,
  );
  for (const id of fit.identity) console.log(`identity map for ${id.emotion}: ${id.reason}`);
  console.log('emotion    faces  median meter before  after   other faces p90 before  after   FER+ recall');
  EMOTIONS.forEach((e, i) => {
    console.log(
      `${e.padEnd(10)} ${String(fit.faces[e]).padStart(5)} ${num(before[i]).padStart(20)} ${num(after[i]).padStart(6)} ${num(others[e]).padStart(23)} ${num(othersAfter[e]).padStart(6)} ${pct(ferplusRecall[e]).padStart(12)}`,
    );
  });
  console.log(
    `PublicTest accuracy as served: FER2013 ${pct(ferReport.accuracy)}, FER+ ${pct(plusReport.accuracy)} (${plusLabels.length} faces); top class changed by the temperature on ${argmaxChanged} of ${n} faces`,
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
