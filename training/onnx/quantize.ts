import type { OnnxAttribute, OnnxGraph, OnnxInitializer, OnnxNode } from './graph.ts';
/**
 * Static int8 quantisation of an exported graph in the QDQ format (pure).
 * Weights: int8, symmetric, per output channel. Activations: uint8, per tensor,
 * from calibration ranges. Biases: int32 with scale = input scale × weight scale.
 * onnxruntime fuses DQ→Conv→(Relu)→Q into QLinearConv and runs MaxPool on uint8;
 * everything it cannot fuse still runs in float after a DequantizeLinear, so the
 * graph is always correct, only faster where fused.
 */

export interface Range {
  min: number;
  max: number;
}

/** Tensors whose range calibration must measure: inputs of Conv/Gemm and outputs of Conv(+Relu)/MaxPool. */
export function tensorsToCalibrate(graph: OnnxGraph): string[] {
  const out = new Set<string>();
  const consumers = consumerMap(graph);
  for (const n of graph.nodes) {
    if (n.opType === 'Conv' || n.opType === 'Gemm') {
      out.add(n.inputs[0] as string);
      const next = consumers.get(n.outputs[0] as string) ?? [];
      const relu = next.length === 1 && next[0]?.opType === 'Relu' ? next[0] : null;
      if (n.opType === 'Conv') out.add((relu ? relu.outputs[0] : n.outputs[0]) as string);
    }
  }
  return [...out].filter((t) => t !== graph.output.name);
}

function consumerMap(graph: OnnxGraph): Map<string, OnnxNode[]> {
  const m = new Map<string, OnnxNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) m.set(i, [...(m.get(i) ?? []), n]);
  return m;
}

/** uint8 affine parameters covering [min, max] and always 0 (so zero padding and ReLU are exact). */
export function activationParams(r: Range): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  const scale = hi - lo > 0 ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/** Symmetric int8 per-channel quantisation along `axis` (0: Conv [O,…]; 1: Gemm B [in,out]). */
export function quantizeWeights(w: Float32Array, dims: number[], axis: 0 | 1): { q: Int8Array; scales: Float32Array } {
  const channels = dims[axis] as number;
  const scales = new Float32Array(channels);
  const q = new Int8Array(w.length);
  const inner = axis === 0 ? w.length / channels : channels;
  const ch = (i: number) => (axis === 0 ? Math.floor(i / inner) : i % channels);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = ch(i);
    maxAbs[c] = Math.max(maxAbs[c] as number, Math.abs(w[i] as number));
  }
  for (let c = 0; c < channels; c++) scales[c] = (maxAbs[c] as number) > 0 ? (maxAbs[c] as number) / 127 : 1;
  for (let i = 0; i < w.length; i++) {
    const v = Math.round((w[i] as number) / (scales[ch(i)] as number));
    q[i] = Math.max(-127, Math.min(127, v));
  }
  return { q, scales };
}

export function quantizeGraph(graph: OnnxGraph, ranges: ReadonlyMap<string, Range>): OnnxGraph {
  const inits = new Map(graph.initializers.map((i) => [i.name, i]));
  const newInits: OnnxInitializer[] = [];
  const nodes: OnnxNode[] = [];
  const actParams = new Map<string, { scale: number; zeroPoint: number; dq: string }>();
  let k = 0;
  const add = (name: string, dims: number[], data: OnnxInitializer['data']): string => {
    newInits.push({ name, dims, data });
    return name;
  };
  const calibrated = new Set(tensorsToCalibrate(graph));

  /** Q→DQ after `tensor`; returns the dequantised tensor name (emitted once per tensor). */
  const qdq = (tensor: string, fixed?: { scale: number; zeroPoint: number }): string => {
    const have = actParams.get(tensor);
    if (have) return have.dq;
    const r = ranges.get(tensor);
    if (!fixed && !r) throw new Error(`no calibration range for tensor ${tensor}`);
    const p = fixed ?? activationParams(r as Range);
    const s = add(`${tensor}/q_scale`, [], Float32Array.of(p.scale));
    const z = add(`${tensor}/q_zp`, [], Uint8Array.of(p.zeroPoint));
    const q = `${tensor}/q`;
    const dq = `${tensor}/dq`;
    nodes.push({
      name: `${tensor}/Quantize_${k++}`,
      opType: 'QuantizeLinear',
      inputs: [tensor, s, z],
      outputs: [q],
      attributes: {},
    });
    nodes.push({
      name: `${tensor}/Dequantize_${k++}`,
      opType: 'DequantizeLinear',
      inputs: [q, s, z],
      outputs: [dq],
      attributes: {},
    });
    actParams.set(tensor, { ...p, dq });
    return dq;
  };

  const rename = new Map<string, string>();
  const src = (t: string) => rename.get(t) ?? t;

  for (const node of graph.nodes) {
    const n: OnnxNode = { ...node, inputs: node.inputs.map(src), attributes: { ...node.attributes } };
    if ((n.opType === 'Conv' || n.opType === 'Gemm') && !n.attributes.transB) {
      const x = node.inputs[0] as string;
      const xdq = qdq(x);
      const xs = (actParams.get(x) as { scale: number }).scale;
      const wInit = inits.get(node.inputs[1] as string);
      if (!wInit || !(wInit.data instanceof Float32Array))
        throw new Error(`weight of ${n.name} is not a float initializer`);
      const axis: 0 | 1 = n.opType === 'Conv' ? 0 : 1;
      const { q, scales } = quantizeWeights(wInit.data, wInit.dims, axis);
      const wq = add(`${wInit.name}/q`, wInit.dims, q);
      const ws = add(`${wInit.name}/q_scale`, [scales.length], scales);
      const wz = add(`${wInit.name}/q_zp`, [scales.length], new Int8Array(scales.length));
      const wdq = `${wInit.name}/dq`;
      const axisAttr: Record<string, OnnxAttribute> = { axis: { type: 'int', value: axis } };
      nodes.push({
        name: `${wInit.name}/Dequantize_${k++}`,
        opType: 'DequantizeLinear',
        inputs: [wq, ws, wz],
        outputs: [wdq],
        attributes: axisAttr,
      });
      const inputs = [xdq, wdq];
      const bName = node.inputs[2];
      const bInit = bName ? inits.get(bName) : undefined;
      if (bInit && bInit.data instanceof Float32Array) {
        const bs = Float32Array.from(scales, (s) => s * xs);
        const bq = Int32Array.from(bInit.data, (v, i) => Math.round(v / (bs[i] as number)));
        const bdq = `${bInit.name}/dq`;
        nodes.push({
          name: `${bInit.name}/Dequantize_${k++}`,
          opType: 'DequantizeLinear',
          inputs: [
            add(`${bInit.name}/q`, bInit.dims, bq),
            add(`${bInit.name}/q_scale`, [bs.length], bs),
            add(`${bInit.name}/q_zp`, [bs.length], new Int32Array(bs.length)),
          ],
          outputs: [bdq],
          attributes: { axis: { type: 'int', value: 0 } },
        });
        inputs.push(bdq);
      }
      nodes.push({ ...n, inputs });
      continue;
    }
    if (n.opType === 'MaxPool' && actParams.has(node.inputs[0] as string)) {
      // Max pooling commutes with the affine uint8 map: keep the input's parameters so ORT runs it on uint8.
      const p = actParams.get(node.inputs[0] as string) as { scale: number; zeroPoint: number };
      nodes.push({ ...n, inputs: [actParams.get(node.inputs[0] as string)?.dq as string] });
      const dq = qdq(node.outputs[0] as string, p);
      rename.set(node.outputs[0] as string, dq);
      continue;
    }
    nodes.push(n);
    const out = node.outputs[0] as string;
    if (calibrated.has(out) && !actParams.has(out)) rename.set(out, qdq(out));
  }
  // Float weights replaced by their int8 versions are no longer read.
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return {
    ...graph,
    nodes,
    initializers: [...graph.initializers, ...newInits].filter((i) => used.has(i.name)),
  };
}
