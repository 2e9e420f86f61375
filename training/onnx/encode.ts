/**
 * Serialises an OnnxGraph description to ONNX ModelProto bytes with onnx-proto
 * (reading an encoded file's metadata is server/ml/model-folder/onnx-file.ts).
 */
import onnxProto from 'onnx-proto';
import type { OnnxAttribute, OnnxGraph, OnnxValueInfo } from './graph.ts';

const { onnx } = onnxProto;

/** Opset 13: Softmax over one axis, Gemm/Conv/MaxPool as used here; ORT supports it everywhere. */
export const OPSET = 13;
/** IR version 8 is what onnx-proto (ONNX 1.10) writes; onnxruntime reads it. */
export const IR_VERSION = 8;

function attribute(name: string, a: OnnxAttribute): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
  }
}

function valueInfo(v: OnnxValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: v.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function dataType(t: OnnxGraph['initializers'][number]['data']): number {
  const D = onnx.TensorProto.DataType;
  if (t instanceof Float32Array) return D.FLOAT;
  if (t instanceof Int8Array) return D.INT8;
  if (t instanceof Uint8Array) return D.UINT8;
  return D.INT32;
}

/** `extraOutputs` exposes intermediate tensors (float, shape unknown): used for calibration. */
export function encodeOnnxModel(
  graph: OnnxGraph,
  docString = '',
  extraOutputs: string[] = [],
  metadata: Record<string, string> = {},
): Uint8Array {
  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'emotion-arena',
    producerVersion: '1',
    docString,
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      input: [valueInfo(graph.input)],
      output: [
        valueInfo(graph.output),
        ...extraOutputs.map((name) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } })),
      ],
      node: graph.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes).map(([k, a]) => attribute(k, a)),
      })),
      initializer: graph.initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        dataType: dataType(t.data),
        // raw_data is little-endian, which is how typed arrays are laid out on x86/ARM.
        rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
