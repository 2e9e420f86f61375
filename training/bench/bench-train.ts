/**
 * `npm run bench:train`: data-parallel training throughput of the real training
 * step (augmentation, forward, backward, gradient averaging, AdamW) with 1..N worker
 * threads, and the speed-up over one worker. Uses the committed fixture rows, so it
 * needs no dataset.
 */
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { PROJECT_ROOT, selectUsage } from '../data/dataset.ts';
import { readFer2013 } from '../data/fer2013-reader.ts';
import { createRng } from '../data/rng.ts';
import { ARCHITECTURES, type Architecture } from '../model/architectures.ts';
import { adamWStep, createAdamWState } from '../retrain/adamw.ts';
import { initialWeights } from '../retrain/init-weights.ts';
import { Replicas, toShared } from '../retrain/replicas.ts';

const program = new Command('bench:train')
  .addOption(new Option('--arch <name>').choices(ARCHITECTURES).default('vgg16'))
  .option('--batch <n>', 'global batch', (v) => Number.parseInt(v, 10), 128)
  .option('--steps <n>', 'timed steps per configuration', (v) => Number.parseInt(v, 10), 6)
  .option(
    '--max-workers <n>',
    'largest worker count',
    (v) => Number.parseInt(v, 10),
    Math.min(2, availableParallelism()),
  )
  .option('--json', 'one JSON object per configuration', false)
  .parse();
const o = program.opts<{ arch: Architecture; batch: number; steps: number; maxWorkers: number; json: boolean }>();
if (![o.batch, o.steps, o.maxWorkers].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('bench:train: --batch, --steps and --max-workers must be positive integers');
  process.exit(2);
}

const data = await readFer2013(join(PROJECT_ROOT, 'test/fixtures/fer2013-sample.csv'));
const train = selectUsage(data, 'all');
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores; arch ${o.arch}, batch ${o.batch}`,
);
const results: { workers: number; imgPerSec: number }[] = [];
for (let workers = 1; workers <= o.maxWorkers; workers++) {
  const r = await Replicas.start(workers, o.arch, toShared(train), {});
  const weights = initialWeights(r.specs, createRng(1), 'pytorch');
  const trainable = r.specs.flatMap((s, i) => (s.trainable ? [i] : []));
  const adam = createAdamWState(trainable.map((i) => r.specs[i]!.size));
  const indices = new Uint32Array(o.batch).map((_, i) => i % train.count);
  const step = async (k: number) => {
    const res = await r.step({
      weights,
      indices,
      seed: k,
      globalBatch: o.batch,
      classWeights: [1, 1, 1, 1, 1, 1, 1],
      labelSmoothing: 0.1,
      augment: true,
    });
    adamWStep(
      trainable.map((i) => weights[i]!),
      res.grads,
      adam,
      1e-3,
      trainable.map(() => true),
    );
  };
  await step(0);
  await step(1);
  const t0 = performance.now();
  for (let k = 0; k < o.steps; k++) await step(k + 2);
  const imgPerSec = (o.steps * o.batch) / ((performance.now() - t0) / 1000);
  await r.close();
  results.push({ workers, imgPerSec });
  const line = {
    bench: 'train',
    arch: o.arch,
    backend: r.backend,
    batch: o.batch,
    workers,
    imgPerSec: Math.round(imgPerSec * 10) / 10,
    speedup: Math.round((imgPerSec / results[0]!.imgPerSec) * 100) / 100,
  };
  console.log(
    o.json
      ? JSON.stringify(line)
      : `workers ${workers}: ${line.imgPerSec} img/s (speed-up ×${line.speedup}), backend ${r.backend}`,
  );
}
