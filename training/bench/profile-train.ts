/**
 * `node --import tsx training/bench/profile-train.ts [--model vgg16] [--batch 64] [--by-shape]`:
 * where a train step's time goes on the wasm backend, per kernel, as this
 * process's CPU time (wall time on a shared machine mostly measures the
 * neighbours). One model.trainOnBatch under tf.profile after a warm-up.
 * Kernels that call others directly (the overrides in runtime/wasm-kernels)
 * count as one; op-level wrappers such as fusedConv2d__op repeat the kernel
 * they wrap. For time spent outside kernels (the engine, gradients' JavaScript,
 * GC) use `node --cpu-prof` on the same script.
 */
import * as tf from '@tensorflow/tfjs';
import { Command, Option } from 'commander';
import { ARCHITECTURES, type Architecture, buildArchitecture } from '../model/architectures.ts';
import { syntheticBatch } from '../runtime/train-vs-forward.ts';
import { initTrainingBackend } from '../runtime/training-backend.ts';

const o = new Command('profile-train')
  .addOption(new Option('--model <name>').choices(ARCHITECTURES).default('vgg16'))
  .option('--batch <n>', 'images per batch', (v) => Number.parseInt(v, 10), 64)
  .option('--top <n>', 'rows to print', (v) => Number.parseInt(v, 10), 30)
  .option('--by-shape', 'one row per kernel and input shapes', false)
  .parse()
  .opts<{ model: Architecture; batch: number; top: number; byShape: boolean }>();

await initTrainingBackend({ force: 'wasm' });
// The profiler times each kernel through backend.time (wall clock on wasm); make it CPU time.
const backend = tf.backend() as unknown as { time: (f: () => void) => Promise<{ kernelMs: number }> };
backend.time = async (f) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return { kernelMs: (c.user + c.system) / 1000 };
};

const net = buildArchitecture(o.model);
net.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
const { x, y } = syntheticBatch(o.batch);
await net.trainOnBatch(x, y);
const c0 = process.cpuUsage();
const info = await tf.profile(async () => {
  await net.trainOnBatch(x, y);
});
const cpu = process.cpuUsage(c0);

const rows = new Map<string, { ms: number; calls: number }>();
let kernelMs = 0;
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  if (!k.name.endsWith('__op')) kernelMs += ms;
  const key = o.byShape ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
  const row = rows.get(key) ?? { ms: 0, calls: 0 };
  row.ms += ms;
  row.calls++;
  rows.set(key, row);
}
console.log(
  `${o.model}, batch ${o.batch}: train step ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU ` +
    `(profiled), ${kernelMs.toFixed(0)} ms in ${info.kernels.length} kernels`,
);
console.log('   cpu ms  calls  kernel');
for (const [key, r] of [...rows].sort((p, q) => q[1].ms - p[1].ms).slice(0, o.top)) {
  console.log(`${r.ms.toFixed(1).padStart(9)}  ${String(r.calls).padStart(5)}  ${key}`);
}
tf.dispose([x, y]);
net.dispose();
