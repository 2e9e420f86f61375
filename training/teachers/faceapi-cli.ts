/**
 * npm run teacher:faceapi -- --out-dir <run folder> [--data <fer2013.csv[.gz]>] [--workers N] [--backend wasm|cpu]
 *
 * Computes (or finds cached) face-api FaceExpressionNet predictions for every row of
 * a FER2013 file into <run folder>/faceapi-probs.bin, and prints its accuracy per
 * split (Training, PublicTest) on the original labels. `npm run retrain -- --faceapi-weight x` uses the same
 * cache in its run folder, so running this first only moves the work earlier.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolveDataPath, selectUsage, usageIndices } from '../data/dataset.ts';
import { readFer2013 } from '../data/fer2013-reader.ts';
import { evaluateClassification } from '../eval/classification-metrics.ts';
import { pickRows } from '../retrain/training-set.ts';
import { faceApiProbsCached } from './faceapi-cache.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be an integer in 1-64');
  return n;
}

export async function main(argv = process.argv): Promise<void> {
  const program: Command = new Command()
    .name('teacher:faceapi')
    .description('Cache face-api FaceExpressionNet predictions for every FER2013 row (a teacher for retrain)')
    .requiredOption('--out-dir <dir>', 'folder for faceapi-probs.bin/.json (a retrain run folder)')
    .option('--data <file>', 'FER2013 csv or csv.gz (default: $FER2013_CSV, else ../shared/data/fer2013.csv.gz)')
    .option('--workers <n>', 'worker threads', positiveInt, Math.min(2, availableParallelism()))
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['wasm', 'cpu']).default('wasm'))
    .showHelpAfterError();
  program.parse(argv);
  const o = program.opts<{ outDir: string; data?: string; workers: number; backend: 'wasm' | 'cpu' }>();
  const data = resolveDataPath(o.data);
  if (!data) program.error('error: no --data given, FER2013_CSV is unset and the default data file is missing');
  if (!existsSync(data)) program.error(`error: --data ${data} does not exist`);
  const dir = resolve(o.outDir);
  mkdirSync(dir, { recursive: true });
  const fer = await readFer2013(data);
  let last = 0;
  const probs = await faceApiProbsCached(dir, fer.images, fer.count, {
    workers: o.workers,
    backend: o.backend,
    log: (l) => console.log(l),
    onProgress: (done, total) => {
      if (done - last >= 2000 || done === total) {
        last = done;
        console.log(`  ${done}/${total}`);
      }
    },
  });
  // PrivateTest is left alone: it is reported once per model, not per teacher.
  for (const usage of ['Training', 'PublicTest'] as const) {
    const rows = selectUsage(fer, usage);
    const acc = evaluateClassification(rows.labels, pickRows(probs, usageIndices(fer, usage)), rows.count).accuracy;
    console.log(`face-api on ${usage} (${rows.count} images, original labels): ${(100 * acc).toFixed(2)}%`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`teacher:faceapi failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
