/**
 * The ONNX graph as plain data: what convert.ts builds, quantize.ts rewrites and
 * encode.ts serialises. Kept apart from all three so none imports another for its types.
 */

export type OnnxAttribute =
  | { type: 'int'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'float'; value: number };

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  /** float32 weights; int8/uint8/int32 for quantised weights, zero points and biases. */
  data: Float32Array | Int8Array | Uint8Array | Int32Array;
}

export interface OnnxValueInfo {
  name: string;
  /** A string is a symbolic dimension (the batch). */
  dims: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  input: OnnxValueInfo;
  output: OnnxValueInfo;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
}

export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'probs';
export const BATCH_DIM = 'N';
