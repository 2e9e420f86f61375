/**
 * `npm run bench:ml`: forward and train-step throughput of the CNNs per
 * TensorFlow.js backend, on the same synthetic batch, and the train/forward
 * time ratio (backprop costs about 2× the forward FLOPs, so ~3 is the ideal).
 */
import { Command, InvalidArgumentError } from 'commander';
import { type BackendName, isBackendName } from '../../server/ml/runtime/backend.ts';
import { ARCHITECTURES, type Architecture, isArchitecture } from '../model/architectures.ts';
import { measureTrainVsForward, type TrainVsForward } from '../runtime/train-vs-forward.ts';
import { initTrainingBackend } from '../runtime/training-backend.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got '${v}'`);
  return n;
}

function list<T extends string>(what: string, valid: (v: string) => v is T) {
  return (v: string): T[] => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((s) => !valid(s));
    if (bad.length || !items.length) throw new InvalidArgumentError(`bad ${what} list '${v}'`);
    return items as T[];
  };
}

const program = new Command('bench:ml')
  .description('forward vs train-step throughput per tfjs backend')
  .option('--batch <n>', 'images per batch', positiveInt, 64)
  .option(
    '--backends <list>',
    'comma list of node|wasm|cpu (default: node when installed, and wasm; cpu is slow, opt-in)',
    list('backend', isBackendName),
  )
  .option('--models <list>', `comma list of ${ARCHITECTURES.join('|')}`, list('model', isArchitecture), [
    'seed',
    'vgg16',
  ])
  .option('--iters <n>', 'timed iterations (median reported)', positiveInt, 5)
  .option(
    '--max-seconds <n>',
    'stop iterating a backend/model after this much timed work (min. 1 iteration)',
    positiveInt,
    120,
  )
  .option('--json', 'one JSON object per backend/model per line', false)
  .parse();
const o = program.opts<{
  batch: number;
  backends?: BackendName[];
  models: Architecture[];
  iters: number;
  maxSeconds: number;
  json: boolean;
}>();

/**
 * Default backends: tfjs-node where it loads, and wasm. The cpu backend is
 * opt-in (`--backends wasm,cpu`): its conv gradients index every element through
 * TensorBuffer.get, so one seed train step at batch 8 takes ~46 s (measured),
 * i.e. minutes per step at the default batch.
 */
async function defaultBackends(): Promise<BackendName[]> {
  try {
    await initTrainingBackend({ force: 'node' });
    return ['node', 'wasm'];
  } catch {
    return ['wasm'];
  }
}

const backends = o.backends ?? (await defaultBackends());
const rows: TrainVsForward[] = [];
for (const backend of backends) {
  await initTrainingBackend({ force: backend, log: o.json ? undefined : (m) => console.error(m) });
  for (const model of o.models) {
    const r = await measureTrainVsForward(model, o.batch, o.iters, o.maxSeconds * 1000);
    rows.push(r);
    if (o.json) {
      console.log(
        JSON.stringify({
          backend,
          model,
          batch: r.batch,
          iters: r.iters,
          forwardMs: round(r.forwardMs, 1),
          trainMs: round(r.trainMs, 1),
          forwardImgPerSec: round(r.forwardImgPerSec, 1),
          trainImgPerSec: round(r.trainImgPerSec, 1),
          trainToForwardRatio: round(r.trainToForwardRatio, 2),
          forwardCpuMs: round(r.forwardCpuMs, 1),
          trainCpuMs: round(r.trainCpuMs, 1),
          trainToForwardCpuRatio: round(r.trainToForwardCpuRatio, 2),
        }),
      );
    } else {
      console.error(`  ${backend}/${model}: done`);
    }
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

if (!o.json) {
  const header = [
    'backend',
    'model',
    'batch',
    'fwd ms',
    'fwd img/s',
    'train ms',
    'train img/s',
    'train/fwd',
    'cpu: fwd ms',
    'train ms',
    'train/fwd',
  ];
  const body = rows.map((r) => [
    r.backend === 'tensorflow' ? 'node' : r.backend,
    r.model,
    String(r.batch),
    r.forwardMs.toFixed(1),
    r.forwardImgPerSec.toFixed(0),
    r.trainMs.toFixed(1),
    r.trainImgPerSec.toFixed(0),
    r.trainToForwardRatio.toFixed(2),
    r.forwardCpuMs.toFixed(1),
    r.trainCpuMs.toFixed(1),
    r.trainToForwardCpuRatio.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(fmt(row));
  console.log(
    `(median of up to ${o.iters} iterations after one warm-up; forward = model.predict, train = model.trainOnBatch with adam;\n` +
      " cpu columns: this process's CPU time, which other processes on a shared machine distort far less than wall time)",
  );
}
