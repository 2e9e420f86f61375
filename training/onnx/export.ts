/** exportOnnx(modelDir): model.json + weights.bin → model.onnx in the same folder. */
import { join, resolve } from 'node:path';
import { MODEL_ONNX, ONNX_WEIGHTS_HASH_KEY } from '../../server/ml/model-folder/files.ts';
import { weightsSha256 } from '../../server/ml/model-folder/weights.ts';
import { writeFileAtomic } from '../../server/util/write-file-atomic.ts';
import { convertToOnnxGraph } from './convert.ts';
import { encodeOnnxModel } from './encode.ts';
import { readKerasModel } from './keras-model.ts';

export interface ExportResult {
  file: string;
  bytes: number;
  nodes: number;
  ops: Record<string, number>;
}

export async function exportOnnx(modelDir: string, options: { outFile?: string } = {}): Promise<ExportResult> {
  const dir = resolve(modelDir);
  const keras = await readKerasModel(dir);
  const graph = convertToOnnxGraph(keras);
  const bytes = encodeOnnxModel(graph, `exported from ${keras.name} (TensorFlow.js layers) by training/onnx`, [], {
    [ONNX_WEIGHTS_HASH_KEY]: await weightsSha256(dir),
  });
  const file = resolve(options.outFile ?? join(dir, MODEL_ONNX));
  // A server reading the folder never sees half a file.
  await writeFileAtomic(file, bytes);
  const ops: Record<string, number> = {};
  for (const n of graph.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  return { file, bytes: bytes.byteLength, nodes: graph.nodes.length, ops };
}
