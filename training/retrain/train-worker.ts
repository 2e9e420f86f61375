/**
 * One data-parallel training replica. Gets the current weights and a slice of the
 * batch from the coordinator, returns gradients; the coordinator averages them and
 * runs the optimizer, so all replicas stay identical.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { normalizePixels } from '../../server/ml/engine/preprocess.ts';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { createRng } from '../data/rng.ts';
import { buildArchitecture } from '../model/architectures.ts';
import { initTrainingBackend } from '../runtime/training-backend.ts';
import { augmentInto } from './augment.ts';
import { batchNormTraining } from './fast-batch-norm.ts';
import type { FromWorker, InitMessage, PredictMessage, StepMessage, ToWorker, WeightSpec } from './messages.ts';
import { writeTarget } from './targets.ts';

const port = parentPort;
if (!port) throw new Error('train-worker must run in a worker thread');

interface Data {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

let model: tf.LayersModel;
let specs: WeightSpec[];
let train: Data;
let evalSets: Record<string, Data>;
let trainableVars: tf.Variable[];
let specIndex: Map<string, number>;
const PREDICT_CHUNK = 256;

function reply(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function toData(s: { images: SharedArrayBuffer; labels: SharedArrayBuffer; count: number }): Data {
  return { images: new Uint8Array(s.images), labels: new Uint8Array(s.labels), count: s.count };
}

async function init(msg: InitMessage): Promise<void> {
  const choice = await initTrainingBackend({ force: msg.backend });
  model = buildArchitecture(msg.arch);
  specs = model.weights.map((w) => ({
    name: w.originalName,
    shape: w.shape as number[],
    size: (w.shape as number[]).reduce((a, b) => a * b, 1),
    trainable: w.trainable,
  }));
  specIndex = new Map(specs.map((sp, i) => [sp.name, i]));
  trainableVars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  train = toData(msg.train);
  evalSets = Object.fromEntries(Object.entries(msg.eval).map(([k, v]) => [k, toData(v)]));
  const initial = model.getWeights().map((t) => t.dataSync() as Float32Array);
  reply({ type: 'ready', backend: choice.backend, specs, initial: initial.map((a) => a.slice()) });
}

function setWeights(weights: Float32Array[]): void {
  const tensors = weights.map((w, i) => tf.tensor(w, (specs[i] as WeightSpec).shape));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** Updated BatchNorm moving statistics by weight index, filled by a training forward pass. */
type MovingStats = Map<number, Float32Array>;

/**
 * Runs the layers one by one so dropout can use our seeded masks (tfjs's own seeds
 * repeat the same mask) and batch norm can use the fused training op.
 */
function forward(
  x: tf.Tensor,
  training: boolean,
  dropoutSeed: number,
  current?: Float32Array[],
  moving?: MovingStats,
): tf.Tensor {
  const rng = createRng(dropoutSeed);
  let h = x;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') continue;
    if (cls === 'Dropout') {
      if (!training) continue;
      const rate = (layer.getConfig() as { rate: number }).rate;
      const mask = new Float32Array(h.size);
      const keep = 1 / (1 - rate);
      for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < rate ? 0 : keep;
      h = tf.mul(h, tf.tensor(mask, h.shape));
      continue;
    }
    if (cls === 'BatchNormalization' && training && current && moving) {
      const cfg = layer.getConfig() as { epsilon: number; momentum: number };
      const [gamma, beta] = layer.weights;
      if (!gamma || !beta) throw new Error(`batch norm layer ${layer.name} has no gamma/beta`);
      h = batchNormTraining(h, gamma.read(), beta.read(), cfg.epsilon, ({ mean, variance }) => {
        // model.weights lists all trainable weights first, so find the moving statistics by name.
        const mmIndex = specIndex.get(`${layer.name}/moving_mean`) as number;
        const mvIndex = specIndex.get(`${layer.name}/moving_variance`) as number;
        const mm = (current[mmIndex] as Float32Array).slice();
        const mv = (current[mvIndex] as Float32Array).slice();
        for (let c = 0; c < mm.length; c++) {
          mm[c] = cfg.momentum * (mm[c] as number) + (1 - cfg.momentum) * (mean[c] as number);
          mv[c] = cfg.momentum * (mv[c] as number) + (1 - cfg.momentum) * (variance[c] as number);
        }
        moving.set(mmIndex, mm);
        moving.set(mvIndex, mv);
      });
      continue;
    }
    h = layer.apply(h, { training }) as tf.Tensor;
  }
  return h;
}

async function step(msg: StepMessage): Promise<void> {
  setWeights(msg.weights);
  const n = msg.indices.length;
  const xs = new Float32Array(n * FRAME_BYTES);
  const ys = new Float32Array(n * EMOTION_COUNT);
  const ws = new Float32Array(n);
  const rng = createRng(msg.augSeed);
  const eps = msg.labelSmoothing;
  for (let k = 0; k < n; k++) {
    const i = msg.indices[k] as number;
    if (msg.augment) augmentInto(train.images, i * FRAME_BYTES, xs, k * FRAME_BYTES, rng);
    else
      normalizePixels(train.images.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES), {
        out: xs.subarray(k * FRAME_BYTES, (k + 1) * FRAME_BYTES),
      });
    const label = train.labels[i] as number;
    writeTarget(ys, k * EMOTION_COUNT, label, eps, msg.teacher && { ...msg.teacher, offset: k * EMOTION_COUNT });
    ws[k] = msg.classWeights[label] ?? 1;
  }
  let probsKept: tf.Tensor | null = null;
  const x = tf.tensor4d(xs, [n, 48, 48, 1]);
  const y = tf.tensor2d(ys, [n, EMOTION_COUNT]);
  const w = tf.tensor1d(ws);
  const moving: MovingStats = new Map();
  const { value, grads } = tf.variableGrads(() => {
    const probs = forward(x, true, msg.dropoutSeed, msg.weights, moving);
    probsKept = tf.keep(probs);
    const ce = tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(probs, 1e-7, 1))), -1));
    return tf.div(tf.sum(tf.mul(ce, w)), msg.globalBatch) as tf.Scalar;
  }, trainableVars);
  const gradArrays: Float32Array[] = [];
  for (const v of trainableVars) gradArrays.push((await (grads[v.name] as tf.Tensor).data()) as Float32Array);
  const lossSum = (await value.data())[0] as number;
  const argmax = tf.argMax(probsKept!, -1);
  const pred = (await argmax.data()) as Int32Array;
  let correct = 0;
  for (let k = 0; k < n; k++) if (pred[k] === train.labels[msg.indices[k] as number]) correct++;
  const nonTrainable: Float32Array[] = [];
  specs.forEach((spec, i) => {
    if (!spec.trainable) nonTrainable.push(moving.get(i) ?? (msg.weights[i] as Float32Array).slice());
  });
  // variableGrads tidies the forward and backward intermediates; these are what it hands back.
  tf.dispose([x, y, w, value, argmax, probsKept!, ...Object.values(grads)]);
  const grads32 = gradArrays.map((g) => (g.byteOffset === 0 && g.length * 4 === g.buffer.byteLength ? g : g.slice()));
  reply({ type: 'step', grads: grads32, nonTrainable, lossSum: lossSum * msg.globalBatch, correct, count: n }, [
    ...grads32.map((g) => g.buffer as ArrayBuffer),
    ...nonTrainable.map((g) => g.buffer as ArrayBuffer),
  ]);
}

async function predict(msg: PredictMessage): Promise<void> {
  setWeights(msg.weights);
  const set = msg.set === 'train' ? train : evalSets[msg.set];
  if (!set) throw new Error(`unknown eval set ${msg.set}`);
  const total = msg.end - msg.start;
  const probs = new Float32Array(total * EMOTION_COUNT);
  for (let s = msg.start; s < msg.end; s += PREDICT_CHUNK) {
    const e = Math.min(msg.end, s + PREDICT_CHUNK);
    const xs = normalizePixels(set.images.subarray(s * FRAME_BYTES, e * FRAME_BYTES), { flip: msg.flip });
    const out = tf.tidy(() => forward(tf.tensor4d(xs, [e - s, 48, 48, 1]), false, 0));
    probs.set((await out.data()) as Float32Array, (s - msg.start) * EMOTION_COUNT);
    out.dispose();
  }
  reply({ type: 'predict', probs }, [probs.buffer]);
}

port.on('message', (msg: ToWorker) => {
  const run = msg.type === 'init' ? init(msg) : msg.type === 'step' ? step(msg) : predict(msg);
  Promise.resolve(run).catch((err: unknown) => {
    reply({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  });
});
