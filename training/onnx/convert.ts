/**
 * Converts a Sequential Keras/tfjs CNN (as plain data) into an ONNX graph
 * description (pure, no protobuf). Layout: the model takes the same NHWC input as
 * tfjs; one Transpose turns it to NCHW (for one channel ORT turns that into a
 * free reshape), and all weights are rearranged at export time:
 *  - Conv kernels [kh,kw,cin,cout] → [cout,cin,kh,kw];
 *  - BatchNormalization right after a linear Conv is folded into its weights
 *    (W·s, (b−mean)·s+beta with s = gamma/√(var+eps)); elsewhere it becomes Mul+Add;
 *  - Keras flattens NHWC in (h,w,c) order, ONNX flattens NCHW in (c,h,w) order, so
 *    the rows of the Dense kernel after a Flatten are permuted to match;
 *  - Dropout is the identity at inference and is dropped.
 * Only the layer types and activations that buildArchitecture uses are converted;
 * anything else is refused by name.
 */

import type { FolderWeight } from '../../server/ml/model-folder/weights.ts';
import {
  BATCH_DIM,
  ONNX_INPUT,
  ONNX_OUTPUT,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxInitializer,
  type OnnxNode,
} from './graph.ts';
import type { KerasLayer, KerasModel } from './keras-model.ts';

/** The activations buildArchitecture uses; anything else is refused rather than half-supported. */
const ACTIVATIONS: Record<string, string | null> = {
  linear: null,
  relu: 'Relu',
  softmax: 'Softmax',
};

class UnsupportedLayer extends Error {
  constructor(layer: KerasLayer, why: string) {
    super(`cannot export layer ${layer.name} (${layer.className}) to ONNX: ${why}`);
    this.name = 'UnsupportedLayer';
  }
}

function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0] ?? fallback), Number(v[1] ?? v[0] ?? fallback)];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

/** Output size and [begin, end] padding of TF's 'same' / 'valid' along one axis. */
export function tfPadding(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: string,
): { out: number; begin: number; end: number } {
  const eff = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return { out: Math.floor((size - eff) / stride) + 1, begin: 0, end: 0 };
  if (padding !== 'same') throw new Error(`padding '${padding}' is not supported`);
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + eff - size, 0);
  // TF puts the odd pixel at the end (ONNX SAME_UPPER).
  const begin = Math.floor(total / 2);
  return { out, begin, end: total - begin };
}

/** Keras kernel [kh,kw,cin,cout] → ONNX Conv weight [cout,cin,kh,kw]. */
export function convKernelToOihw(k: FolderWeight): Float32Array {
  const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
  const out = new Float32Array(k.values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) {
          out[((o * cin + i) * kh + y) * kw + x] = k.values[((y * kw + x) * cin + i) * cout + o] as number;
        }
  return out;
}

/**
 * Reorders the rows of a Dense kernel [h*w*c, units] that follows a Keras
 * (NHWC) Flatten so that it reads an NCHW flatten: row c*H*W + y*W + x of the
 * result is row (y*W + x)*C + c of the input.
 */
export function permuteFlattenRows(kernel: Float32Array, c: number, h: number, w: number, units: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const src = ((y * w + x) * c + ch) * units;
        const dst = ((ch * h + y) * w + x) * units;
        out.set(kernel.subarray(src, src + units), dst);
      }
  return out;
}

/** Per-channel scale and shift of an inference-mode BatchNormalization. */
export function batchNormAffine(layer: KerasLayer, channels: number): { scale: Float32Array; shift: Float32Array } {
  const eps = Number(layer.config.epsilon ?? 1e-3);
  const get = (n: string, dflt: number): Float32Array => {
    const w = layer.weights.get(n);
    if (w) {
      if (w.values.length !== channels)
        throw new UnsupportedLayer(layer, `${n} has ${w.values.length} values for ${channels} channels`);
      return w.values;
    }
    if (n === 'moving_mean' || n === 'moving_variance') throw new UnsupportedLayer(layer, `weight ${n} is missing`);
    return new Float32Array(channels).fill(dflt);
  };
  const gamma = layer.config.scale === false ? new Float32Array(channels).fill(1) : get('gamma', 1);
  const beta = layer.config.center === false ? new Float32Array(channels) : get('beta', 0);
  const mean = get('moving_mean', 0);
  const variance = get('moving_variance', 1);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let i = 0; i < channels; i++) {
    // float64 here, rounded once: the folded weights are as exact as float32 allows.
    const s = (gamma[i] as number) / Math.sqrt((variance[i] as number) + eps);
    scale[i] = s;
    shift[i] = (beta[i] as number) - (mean[i] as number) * s;
  }
  return { scale, shift };
}

export function convertToOnnxGraph(model: KerasModel): OnnxGraph {
  const nodes: OnnxNode[] = [];
  const inits = new Map<string, OnnxInitializer>();
  let counter = 0;
  const fresh = (base: string): string => `${base}_${counter++}`;
  const init = (name: string, dims: number[], data: Float32Array): string => {
    inits.set(name, { name, dims, data });
    return name;
  };
  const emit = (
    opType: string,
    name: string,
    inputs: string[],
    attributes: Record<string, OnnxAttribute> = {},
  ): string => {
    const out = fresh(name);
    nodes.push({ name: fresh(`${name}/${opType}`), opType, inputs, outputs: [out], attributes });
    return out;
  };

  const [h0, w0, c0] = model.inputShape as [number, number, number];
  if (model.inputShape.length !== 3)
    throw new Error(`input shape ${JSON.stringify(model.inputShape)} is not [h, w, c]`);
  let cur = emit('Transpose', 'to_nchw', [ONNX_INPUT], { perm: { type: 'ints', value: [0, 3, 1, 2] } });
  let rank = 4;
  let c = c0;
  let h = h0;
  let w = w0;
  /** A Conv whose output is `cur` with no activation after it yet: a BN can fold into it. */
  let foldable: {
    out: string;
    weight: OnnxInitializer & { data: Float32Array };
    biasName: string | null;
    node: OnnxNode;
  } | null = null;
  /** Set right after a 4-D Flatten: the shape a following Dense must un-permute. */
  let flattened: { c: number; h: number; w: number } | null = null;

  const activation = (layer: KerasLayer, act: unknown): void => {
    const a = String(act ?? 'linear');
    if (!(a in ACTIVATIONS)) throw new UnsupportedLayer(layer, `activation '${a}' is not supported`);
    const op = ACTIVATIONS[a];
    if (!op) return;
    const attrs: Record<string, OnnxAttribute> =
      op === 'Softmax' ? { axis: { type: 'int', value: rank === 4 ? 1 : -1 } } : {};
    cur = emit(op, layer.name, [cur], attrs);
    foldable = null;
  };

  for (const layer of model.layers) {
    const cfg = layer.config;
    const keepFlatten = layer.className === 'Dropout' || layer.className === 'InputLayer';
    if (!keepFlatten && layer.className !== 'Dense') flattened = null;
    switch (layer.className) {
      case 'InputLayer':
      case 'Dropout':
        break; // identity at inference
      case 'Conv2D': {
        if (rank !== 4) throw new UnsupportedLayer(layer, 'expects a 4-D input');
        if (cfg.data_format && cfg.data_format !== 'channels_last')
          throw new UnsupportedLayer(layer, 'only channels_last');
        const k = layer.weights.get('kernel');
        if (k?.shape.length !== 4) throw new UnsupportedLayer(layer, 'kernel weight is missing');
        const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
        if (cin !== c) throw new UnsupportedLayer(layer, `kernel expects ${cin} input channels, got ${c}`);
        const [sh, sw] = pair(cfg.strides, 1);
        const [dh, dw] = pair(cfg.dilation_rate, 1);
        const padding = String(cfg.padding ?? 'valid');
        const py = tfPadding(h, kh, sh, dh, padding);
        const px = tfPadding(w, kw, sw, dw, padding);
        const weight = { name: `${layer.name}/W`, dims: [cout, cin, kh, kw], data: convKernelToOihw(k) };
        inits.set(weight.name, weight);
        const inputs = [cur, weight.name];
        let biasName: string | null = null;
        const bias = layer.weights.get('bias');
        if (cfg.use_bias !== false && bias) {
          biasName = init(`${layer.name}/B`, [cout], Float32Array.from(bias.values));
          inputs.push(biasName);
        }
        cur = emit('Conv', layer.name, inputs, {
          kernel_shape: { type: 'ints', value: [kh, kw] },
          strides: { type: 'ints', value: [sh, sw] },
          dilations: { type: 'ints', value: [dh, dw] },
          pads: { type: 'ints', value: [py.begin, px.begin, py.end, px.end] },
          group: { type: 'int', value: 1 },
        });
        foldable = { out: cur, weight, biasName, node: nodes[nodes.length - 1] as OnnxNode };
        c = cout;
        h = py.out;
        w = px.out;
        activation(layer, cfg.activation);
        break;
      }
      case 'BatchNormalization': {
        const axis = Number(cfg.axis ?? -1);
        const channelAxisOk = axis === -1 || axis === (rank === 4 ? 3 : 1);
        if (!channelAxisOk) throw new UnsupportedLayer(layer, `axis ${axis} is not the channel axis`);
        const { scale, shift } = batchNormAffine(layer, c);
        const f = foldable as typeof foldable;
        if (f && f.out === cur) {
          // Exact fold: y = s·(W*x + b − mean) + beta = (s·W)*x + (s·(b − mean) + beta).
          const per = f.weight.data.length / c;
          for (let o = 0; o < c; o++) {
            const s = scale[o] as number;
            for (let j = 0; j < per; j++) f.weight.data[o * per + j] = (f.weight.data[o * per + j] as number) * s;
          }
          const b = new Float32Array(c);
          const old = f.biasName ? (inits.get(f.biasName)?.data as Float32Array | undefined) : undefined;
          for (let o = 0; o < c; o++)
            b[o] = (old ? (old[o] as number) * (scale[o] as number) : 0) + (shift[o] as number);
          const biasName = f.biasName ?? `${f.node.name}/B`;
          init(biasName, [c], b);
          if (!f.biasName) f.node.inputs.push(biasName);
          f.biasName = biasName;
          break; // `cur` is still the conv output, still foldable
        }
        const dims = rank === 4 ? [c, 1, 1] : [c];
        const mul = emit('Mul', layer.name, [cur, init(`${layer.name}/scale`, dims, scale)]);
        cur = emit('Add', layer.name, [mul, init(`${layer.name}/shift`, dims, shift)]);
        foldable = null;
        break;
      }
      case 'Activation':
        activation(layer, cfg.activation);
        break;
      case 'MaxPooling2D': {
        if (rank !== 4) throw new UnsupportedLayer(layer, 'expects a 4-D input');
        const [ph, pw] = pair(cfg.pool_size, 2);
        const [sh, sw] = cfg.strides == null ? [ph, pw] : pair(cfg.strides, ph);
        const padding = String(cfg.padding ?? 'valid');
        const py = tfPadding(h, ph, sh, 1, padding);
        const px = tfPadding(w, pw, sw, 1, padding);
        const attrs: Record<string, OnnxAttribute> = {
          kernel_shape: { type: 'ints', value: [ph, pw] },
          strides: { type: 'ints', value: [sh, sw] },
          pads: { type: 'ints', value: [py.begin, px.begin, py.end, px.end] },
        };
        cur = emit('MaxPool', layer.name, [cur], attrs);
        h = py.out;
        w = px.out;
        foldable = null;
        break;
      }
      case 'GlobalAveragePooling2D': {
        if (rank !== 4) throw new UnsupportedLayer(layer, 'expects a 4-D input');
        if (cfg.keepdims === true) throw new UnsupportedLayer(layer, 'keepdims is not supported');
        const pooled = emit('GlobalAveragePool', layer.name, [cur]);
        cur = emit('Flatten', layer.name, [pooled], { axis: { type: 'int', value: 1 } });
        rank = 2;
        h = 1;
        w = 1;
        foldable = null;
        break;
      }
      case 'Flatten': {
        if (rank === 4) {
          cur = emit('Flatten', layer.name, [cur], { axis: { type: 'int', value: 1 } });
          flattened = h * w > 1 && c > 1 ? { c, h, w } : null;
          c = c * h * w;
          h = 1;
          w = 1;
          rank = 2;
        }
        foldable = null;
        break;
      }
      case 'Dense': {
        if (rank !== 2) throw new UnsupportedLayer(layer, 'Dense on a 4-D tensor is not supported (add Flatten)');
        const k = layer.weights.get('kernel');
        if (k?.shape.length !== 2) throw new UnsupportedLayer(layer, 'kernel weight is missing');
        const [fin, units] = k.shape as [number, number];
        if (fin !== c) throw new UnsupportedLayer(layer, `kernel expects ${fin} inputs, got ${c}`);
        const f = flattened as { c: number; h: number; w: number } | null;
        const kernel = f ? permuteFlattenRows(k.values, f.c, f.h, f.w, units) : Float32Array.from(k.values);
        flattened = null;
        const inputs = [cur, init(`${layer.name}/W`, [fin, units], kernel)];
        const bias = layer.weights.get('bias');
        if (cfg.use_bias !== false && bias)
          inputs.push(init(`${layer.name}/B`, [units], Float32Array.from(bias.values)));
        cur = emit('Gemm', layer.name, inputs);
        c = units;
        foldable = null;
        activation(layer, cfg.activation);
        break;
      }
      default:
        throw new UnsupportedLayer(layer, 'layer type not supported by the exporter');
    }
  }

  let outDims: (number | string)[] = [BATCH_DIM, c];
  if (rank === 4) {
    cur = emit('Transpose', 'to_nhwc', [cur], { perm: { type: 'ints', value: [0, 2, 3, 1] } });
    outDims = [BATCH_DIM, h, w, c];
  }
  // Name the final tensor: the last node produces `cur` (BN folding keeps it that way).
  const last = nodes[nodes.length - 1] as OnnxNode;
  if (last.outputs[0] !== cur) throw new Error('internal: final tensor is not produced by the last node');
  last.outputs[0] = ONNX_OUTPUT;

  // Initializers that nothing reads (none today) would only bloat the file.
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return {
    name: model.name,
    input: { name: ONNX_INPUT, dims: [BATCH_DIM, h0, w0, c0] },
    output: { name: ONNX_OUTPUT, dims: outDims },
    nodes,
    initializers: [...inits.values()].filter((i) => used.has(i.name)),
  };
}
