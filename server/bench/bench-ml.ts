/**
 * `npm run bench:ml`: forward and train-step throughput of the CNNs per
 * TensorFlow.js backend, on the same synthetic batch, and the train/forward
 * time ratio (backprop costs about 2× the forward FLOPs, so ~3 is the ideal).
 */
import { Command } from 'commander';
import { ARCHITECTURES, type Architecture, isArchitecture } from '../ml/model/architectures.ts';
import { type BackendName, initBackend, isBackendName } from '../ml/runtime/backend.ts';
import { measureTrainVsForward, type TrainVsForward } from '../ml/runtime/train-vs-forward.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got '${v}'`);
  return n;
}

function list<T extends string>(what: string, valid: (v: string) => v is T) {
  return (v: string): T[] => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((s) => !valid(s));
    if (bad.length || !items.length) throw new Error(`bad ${what} list '${v}'`);
    return items as T[];
  };
}

const program = new Command('bench:ml')
  .description('forward vs train-step throughput per tfjs backend')
  .option('--batch <n>', 'images per batch', positiveInt, 64)
  .option(
    '--backends <list>',
    'comma list of node|wasm|cpu (default: every available one)',
    list('backend', isBackendName),
  )
  .option('--models <list>', `comma list of ${ARCHITECTURES.join('|')}`, list('model', isArchitecture), [
    'seed',
    'vgg16',
  ])
  .option('--iters <n>', 'timed iterations (median reported)', positiveInt, 5)
  .option('--json', 'one JSON object per backend/model per line', false)
  .parse();
const o = program.opts<{
  batch: number;
  backends?: BackendName[];
  models: Architecture[];
  iters: number;
  json: boolean;
}>();

/** The backends worth running: node only where tfjs-node loads. */
async function availableBackends(): Promise<BackendName[]> {
  try {
    await initBackend({ force: 'node' });
    return ['node', 'wasm', 'cpu'];
  } catch {
    return ['wasm', 'cpu'];
  }
}

const backends = o.backends ?? (await availableBackends());
const rows: TrainVsForward[] = [];
for (const backend of backends) {
  await initBackend({ force: backend, log: o.json ? undefined : (m) => console.error(m) });
  for (const model of o.models) {
    const r = await measureTrainVsForward(model, o.batch, o.iters);
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
  const header = ['backend', 'model', 'batch', 'fwd ms', 'fwd img/s', 'train ms', 'train img/s', 'train/fwd'];
  const body = rows.map((r) => [
    r.backend === 'tensorflow' ? 'node' : r.backend,
    r.model,
    String(r.batch),
    r.forwardMs.toFixed(1),
    r.forwardImgPerSec.toFixed(0),
    r.trainMs.toFixed(1),
    r.trainImgPerSec.toFixed(0),
    r.trainToForwardRatio.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(fmt(row));
  console.log(
    `(median of ${o.iters} iterations after one warm-up; forward = model.predict, train = model.trainOnBatch with adam)`,
  );
}
