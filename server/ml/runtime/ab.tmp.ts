import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
await initBackend({ force: 'wasm' });
function time(name: string, fn: () => tf.Tensor) { fn().dispose(); let best = Infinity; for (let i=0;i<6;i++) { const t0 = performance.now(); const t = fn(); t.dataSync(); t.dispose(); best = Math.min(best, performance.now()-t0); } console.log(name, best.toFixed(1),'ms'); }
const x = tf.randomNormal([64, 6400]); const w = tf.randomNormal([6400, 256]); const dy = tf.randomNormal([64, 256]);
time('fwd x·w', () => tf.matMul(x, w));
time('dx dy·wᵀ (tB)', () => tf.matMul(dy, w, false, true));
time('dw xᵀ·dy (tA)', () => tf.matMul(x, dy, true, false));
