import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
await initBackend({ force: 'wasm' });
function time(fn: () => tf.Tensor) { fn().dispose(); const t0 = performance.now(); for (let i=0;i<3;i++) { const t = fn(); t.dataSync(); t.dispose(); } return ((performance.now()-t0)/3).toFixed(1); }
const B = 64;
for (const [H, C, K, pad] of [[48,1,16,'same'],[48,16,16,'same'],[24,16,32,'same'],[24,32,32,'same'],[12,32,64,'same'],[12,64,64,'same'],[6,64,128,'same'],[6,128,128,'same'],[48,1,64,'valid'],[23,64,64,'valid']] as const) {
  const x = tf.randomNormal([B,H,H,C]) as tf.Tensor4D; const f = tf.randomNormal([3,3,C,K]) as tf.Tensor4D;
  const dy = tf.conv2d(x, f, 1, pad);
  const fwd = time(() => tf.conv2d(x, f, 1, pad));
  const bi = time(() => tf.conv2dTranspose(dy, f, x.shape, 1, pad));
  const bf = time(() => tf.engine().runKernel('Conv2DBackpropFilter', {x, dy}, {strides:[1,1], pad, dataFormat:'NHWC', filterShape:[3,3,C,K]}) as tf.Tensor);
  const s = time(() => tf.sum(x, [0,1,2]));
  console.log(`${H}x${H} ${C}->${K} ${pad}: fwd ${fwd} bpIn ${bi} bpFilt ${bf} sum012 ${s}`);
  tf.dispose([x,f,dy]);
}
