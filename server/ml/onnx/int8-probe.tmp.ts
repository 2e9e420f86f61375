import * as ort from 'onnxruntime-node';
import { readFer2013 } from '../data/fer2013-reader.ts';
import { normalizePixels } from '../engine/preprocess.ts';
import { exportInt8Onnx } from './int8.ts';

const dir = process.argv[2]!;
const data = await readFer2013('test/fixtures/fer2013-sample.csv');
const r = await exportInt8Onnx(dir, data.images);
console.log(r.bytes, r.ops);
const n = data.count;
const x = normalizePixels(data.images);
const sf = await ort.InferenceSession.create(dir + '/model.onnx', {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
const sq = await ort.InferenceSession.create(r.file, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  optimizedModelFilePath: '/tmp/opt-int8.onnx',
});
const a = (await sf.run({ input: new ort.Tensor('float32', x, [n, 48, 48, 1]) })).probs!.data as Float32Array;
const b = (await sq.run({ input: new ort.Tensor('float32', x, [n, 48, 48, 1]) })).probs!.data as Float32Array;
let agree = 0,
  maxd = 0;
for (let i = 0; i < n; i++) {
  let ai = 0,
    bi = 0;
  for (let k = 0; k < 7; k++) {
    if (a[i * 7 + k]! > a[i * 7 + ai]!) ai = k;
    if (b[i * 7 + k]! > b[i * 7 + bi]!) bi = k;
    maxd = Math.max(maxd, Math.abs(a[i * 7 + k]! - b[i * 7 + k]!));
  }
  if (ai === bi) agree++;
}
console.log('agree', agree / n, 'maxdiff', maxd);
for (const bs of [1, 16, 64]) {
  const xb = new ort.Tensor('float32', x.subarray(0, bs * 2304), [bs, 48, 48, 1]);
  const res: number[][] = [[], []];
  for (let rep = 0; rep < 4; rep++)
    for (const [j, s] of [sf, sq].entries()) {
      await s.run({ input: xb });
      const t = performance.now();
      let c = 0;
      while (performance.now() - t < 300) {
        await s.run({ input: xb });
        c++;
      }
      res[j]!.push((c * bs) / ((performance.now() - t) / 1000));
    }
  console.log(`bs ${bs}: fp32 ${Math.max(...res[0]!).toFixed(0)} int8 ${Math.max(...res[1]!).toFixed(0)} img/s`);
}
