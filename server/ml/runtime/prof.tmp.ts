import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { buildArchitecture } from '../model/architectures.ts';
import { syntheticBatch } from './train-vs-forward.ts';
const arch = (process.argv[2] ?? 'seed') as 'seed';
await initBackend({ force: 'wasm' });
const m = buildArchitecture(arch);
m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
const { x, y } = syntheticBatch(64);
await m.trainOnBatch(x, y);
const agg = new Map<string, number>();
for (let r = 0; r < 3; r++) {
  const prof = await tf.profile(async () => { await m.trainOnBatch(x, y); });
  for (const k of prof.kernels) agg.set(k.name, Math.min(agg.get(k.name + '#' + r) ?? Infinity, 0) + (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number) / 3);
}
console.log([...agg.entries()].sort((a, b) => b[1] - a[1]).slice(0, 16).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('\n'));
