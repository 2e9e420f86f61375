import * as tf from '@tensorflow/tfjs';
import { initBackend } from './server/ml/runtime/backend.ts';
import { buildArchitecture } from './server/ml/model/architectures.ts';
import { batchNormTraining } from './server/ml/retrain/fast-batch-norm.ts';
import { readFer2013 } from './server/ml/data/fer2013-reader.ts';
const d = await readFer2013('test/fixtures/fer2013-sample.csv');
const B = 16;
const xs = new Float32Array(B * 2304); for (let i = 0; i < xs.length; i++) xs[i] = d.images[i]! / 255;
const ys = new Float32Array(B * 7); for (let k = 0; k < B; k++) ys[k * 7 + d.labels[k]!] = 1;
async function grads(backend: 'cpu' | 'wasm', fused: boolean, weights?: tf.Tensor[]) {
  await initBackend({ force: backend });
  const model = buildArchitecture('vgg16');
  if (weights) model.setWeights(weights.map((w) => tf.tensor(w.dataSync(), w.shape)));
  const x = tf.tensor4d(xs, [B, 48, 48, 1]); const y = tf.tensor2d(ys, [B, 7]);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const fwd = (h: tf.Tensor) => { for (const l of model.layers) { const c = l.getClassName(); if (c === 'Dropout') continue; if (c === 'BatchNormalization' && fused) { const [g, b] = l.weights as any; h = batchNormTraining(h, g.read(), b.read(), 1e-3, () => {}); continue; } h = l.apply(h, { training: true }) as tf.Tensor; } return h; };
  const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(fwd(x))), -1))) as tf.Scalar, vars);
  return { model, loss: value.dataSync()[0], g: vars.map((v) => ({ name: v.name, data: grads[v.name]!.dataSync().slice() })) };
}
const ref = await grads('cpu', false);
const w = ref.model.getWeights().map((t) => tf.tensor(t.dataSync().slice(), t.shape));
const wasm = await grads('wasm', true, w.map(t => t));
console.log('loss cpu', ref.loss, 'wasm+fused', wasm.loss);
ref.g.forEach((r, i) => { const o = wasm.g[i]!.data; let num = 0, den = 0; for (let k = 0; k < r.data.length; k++) { num += (r.data[k]! - o[k]!) ** 2; den += r.data[k]! ** 2; } console.log(r.name.padEnd(28), 'rel err', Math.sqrt(num / den).toExponential(2)); });
