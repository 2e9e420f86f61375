/** Serialises an OnnxGraph description to ONNX ModelProto bytes with onnx-proto. */
import onnxProto from 'onnx-proto';
import type { OnnxAttribute, OnnxGraph, OnnxValueInfo } from './convert.ts';

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

export function encodeOnnxModel(graph: OnnxGraph, docString = ''): Uint8Array {
  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'emotion-arena',
    producerVersion: '1',
    docString,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: graph.name,
      input: [valueInfo(graph.input)],
      output: [valueInfo(graph.output)],
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
        dataType: onnx.TensorProto.DataType.FLOAT,
        // raw_data is little-endian float32, which is how typed arrays are laid out on x86/ARM.
        rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
