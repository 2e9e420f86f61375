import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { buildArchitecture } from '../model/architectures.ts';
const arch = (process.argv[2] ?? 'vgg16') as 'vgg16';
await initBackend({ log: console.log, force: (process.argv[3] as 'wasm') ?? undefined });
const m = buildArchitecture(arch);
m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
const B = 64;
const x = tf.randomUniform([B, 48, 48, 1]);
const y = tf.oneHot(tf.randomUniform([B], 0, 7, 'int32') as tf.Tensor1D, 7).toFloat();
(m.predict(x) as tf.Tensor).dispose();
await m.trainOnBatch(x, y);
let t0 = performance.now();
for (let i = 0; i < 3; i++) (m.predict(x) as tf.Tensor).dataSync();
const fwd = (performance.now() - t0) / 3;
t0 = performance.now();
for (let i = 0; i < 3; i++) await m.trainOnBatch(x, y);
const train = (performance.now() - t0) / 3;
console.log(arch, tf.getBackend(), 'fwd', fwd.toFixed(0), 'train', train.toFixed(0), 'ratio', (train / fwd).toFixed(2), 'tensors', tf.memory().numTensors);
if (process.argv[4] === 'profile') {
  const prof = await tf.profile(async () => { await m.trainOnBatch(x, y); });
  const agg = new Map<string, number>();
  for (const k of prof.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  console.log([...agg.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('\n'));
}
