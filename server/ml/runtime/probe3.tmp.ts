import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
await initBackend({ force: 'wasm' });
function time(name: string, fn: () => tf.Tensor) { fn().dispose(); const t0 = performance.now(); for (let i=0;i<5;i++) { const t = fn(); t.dataSync(); t.dispose(); } console.log(name, ((performance.now()-t0)/5).toFixed(1),'ms'); }
const x = tf.randomNormal([64, 6400]); const w = tf.randomNormal([6400, 256]); const dy = tf.randomNormal([64, 256]);
const xT = tf.randomNormal([6400, 64]); const wT = tf.randomNormal([256, 6400]);
time('fwd x·w', () => tf.matMul(x, w));
time('dx dy·wᵀ (tB)', () => tf.matMul(dy, w, false, true));
time('dx dy·wT', () => tf.matMul(dy, wT));
time('dw xᵀ·dy (tA)', () => tf.matMul(x, dy, true, false));
time('dw xT·dy', () => tf.matMul(xT, dy));
time('dw (dyᵀ·x)ᵀ', () => tf.matMul(dy, x, true, false));
time('transpose x', () => tf.transpose(x));
