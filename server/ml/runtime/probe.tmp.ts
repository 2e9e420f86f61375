import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';

const r = await initBackend({ log: console.log });
function grads(backend: string, x: tf.Tensor4D, f: tf.Tensor4D, s: number, pad: 'same' | 'valid') {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xx = tf.tensor(x.dataSync(), x.shape) as tf.Tensor4D;
    const ff = tf.tensor(f.dataSync(), f.shape) as tf.Tensor4D;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).square().sum());
    return g([xx, ff]).map((t) => t.dataSync());
  });
}
function relErr(a: ArrayLike<number>, b: ArrayLike<number>) {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / (den || 1);
}
for (const [shape, fs, s, pad] of [[[2,7,7,3],[3,3,3,4],1,'same'],[[2,7,7,3],[3,3,3,4],2,'same'],[[2,8,8,3],[3,3,3,4],2,'valid'],[[2,9,8,2],[3,2,2,5],1,'valid'],[[1,10,10,2],[3,3,2,3],3,'valid'],[[2,8,8,2],[2,2,2,3],2,'same']] as const) {
  const x = tf.randomNormal(shape as unknown as number[]) as tf.Tensor4D; const f = tf.randomNormal(fs as unknown as number[]) as tf.Tensor4D;
  const a = grads('wasm', x, f, s, pad); const b = grads('cpu', x, f, s, pad);
  console.log(JSON.stringify(shape), s, pad, relErr(a[0], b[0]).toExponential(2), relErr(a[1], b[1]).toExponential(2));
}
await tf.setBackend('wasm');
// timing like the brief
const x = tf.randomNormal([64,24,24,64]) as tf.Tensor4D; const f = tf.randomNormal([3,3,64,64]) as tf.Tensor4D;
const dy = tf.conv2d(x, f, 1, 'same');
function time(name: string, fn: () => tf.Tensor) { fn().dispose(); const t0 = performance.now(); for (let i=0;i<3;i++) fn().dataSync(); console.log(name, ((performance.now()-t0)/3).toFixed(1),'ms'); }
time('fwd', () => tf.conv2d(x, f, 1, 'same'));
time('bpInput', () => tf.conv2dTranspose(dy, f, x.shape, 1, 'same'));
time('bpFilter', () => tf.engine().runKernel('Conv2DBackpropFilter', {x, dy}, {strides:[1,1], pad:'same', dataFormat:'NHWC', filterShape:[3,3,64,64]}) as tf.Tensor);
console.log('tensors', tf.memory().numTensors);
