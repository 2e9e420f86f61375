/**
 * npm run teacher:mix -- --model <dir> --faceapi-dir <run folder> [--data …] [--ferplus …] [--weights 0.1,0.25,0.5]
 *
 * What each teacher adds, on PublicTest only (selection data; PrivateTest is never
 * looked at here): accuracy on the original labels and on FER+ majority labels of
 * the model (one pass and flip TTA, raw network output), face-api's cached
 * predictions, and their weighted averages (1 − w)·model + w·face-api.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { createEmotionEngine } from '../../server/ml/engine/create-engine.ts';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { defaultFerPlusPath, resolveDataPath, selectUsage, usageIndices } from '../data/dataset.ts';
import { readFer2013 } from '../data/fer2013-reader.ts';
import { FERPLUS_VOTE_COLUMNS, ferPlusMajority } from '../data/ferplus-labels.ts';
import { alignFerPlus, readFerPlus } from '../data/ferplus-reader.ts';
import { evaluateClassification } from '../eval/classification-metrics.ts';
import { ferPlusReport } from '../eval/ferplus-eval.ts';
import { pickRows } from '../retrain/training-set.ts';
import { readFaceApiCache } from './faceapi-cache.ts';

function weightList(v: string): number[] {
  const w = v.split(',').map(Number);
  if (w.some((x) => !Number.isFinite(x) || x < 0 || x > 1))
    throw new InvalidArgumentError('weights must be numbers in 0-1');
  return w;
}

export async function main(argv = process.argv): Promise<void> {
  const program: Command = new Command()
    .name('teacher:mix')
    .description('PublicTest accuracy of the model, face-api, and their averages (FER2013 and FER+ labels)')
    .requiredOption('--model <dir>', 'model folder')
    .requiredOption(
      '--faceapi-dir <dir>',
      'folder holding faceapi-probs.bin for the same data file (npm run teacher:faceapi)',
    )
    .option('--data <file>', 'FER2013 csv or csv.gz (default: $FER2013_CSV, else ../shared/data/fer2013.csv.gz)')
    .option('--ferplus <file>', 'FER+ votes (default fer2013new.csv beside --data)')
    .option('--weights <list>', 'face-api weights to try', weightList, [0.1, 0.25, 0.5, 0.75])
    .showHelpAfterError();
  program.parse(argv);
  const o = program.opts<{ model: string; faceapiDir: string; data?: string; ferplus?: string; weights: number[] }>();
  const data = resolveDataPath(o.data);
  if (!data || !existsSync(data)) program.error(`error: FER2013 file ${data ?? '(none given)'} not found`);
  const plusFile = o.ferplus ? resolve(o.ferplus) : defaultFerPlusPath(data);
  if (!plusFile || !existsSync(plusFile)) program.error('error: FER+ file not found (pass --ferplus)');
  const fer = await readFer2013(data);
  const plus = await readFerPlus(plusFile);
  alignFerPlus(fer, plus, plusFile);
  const all = readFaceApiCache(resolve(o.faceapiDir), fer.images, fer.count);
  if (!all)
    program.error(`error: no face-api predictions for ${data} in ${o.faceapiDir} (run npm run teacher:faceapi)`);

  const rows = usageIndices(fer, 'PublicTest');
  const pub = selectUsage(fer, 'PublicTest');
  const n = pub.count;
  const majority = Int8Array.from(rows, (r) => ferPlusMajority(plus.votes, r * FERPLUS_VOTE_COLUMNS));
  const faceapi = pickRows(all, rows);
  const frames = Array.from({ length: n }, (_, i) => pub.images.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES));
  const run = async (tta: boolean) => {
    const engine = await createEmotionEngine({ modelDir: resolve(o.model), calibrate: false, tta, maxBatch: 64 });
    try {
      const out = new Float32Array(n * EMOTION_COUNT);
      for (const [i, p] of (await engine.predict(frames)).entries()) out.set(p, i * EMOTION_COUNT);
      return { name: engine.name, probs: out };
    } finally {
      await engine.dispose();
    }
  };
  const one = await run(false);
  const two = await run(true);
  const mix = (a: Float32Array, w: number) => a.map((v, i) => (1 - w) * v + w * (faceapi[i] as number));
  const line = (name: string, p: Float32Array) => {
    const a = evaluateClassification(pub.labels, p, n).accuracy;
    const b = ferPlusReport(majority, p).accuracy;
    console.log(`${name.padEnd(44)} ${(100 * a).toFixed(2).padStart(6)}%   ${(100 * b).toFixed(2).padStart(6)}%`);
  };
  console.log(`PublicTest (${n} images; FER+ majority on ${majority.filter((m) => m >= 0).length}); model ${one.name}`);
  console.log(`${'predictor'.padEnd(44)} FER2013    FER+`);
  line('model, one pass', one.probs);
  line('model, flip TTA', two.probs);
  line('face-api FaceExpressionNet', faceapi);
  for (const w of o.weights) line(`(1-${w})·model + ${w}·face-api`, mix(one.probs, w));
  for (const w of o.weights) line(`(1-${w})·model flip TTA + ${w}·face-api`, mix(two.probs, w));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`teacher:mix failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
