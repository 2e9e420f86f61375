/**
 * Reads a TensorFlow.js layers model folder (model.json + weights.bin) into plain
 * data — layer configs and float32 weights by name — without tfjs, so the ONNX
 * exporter needs no backend and works on any folder the trainer writes.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkModelFolder, ModelFolderError, type ModelJsonFile } from '../../server/ml/model-folder/model-json.ts';

export interface WeightArray {
  shape: number[];
  data: Float32Array;
}

export interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  /** Weights of this layer by parameter name ("kernel", "bias", "gamma", "moving_mean", …). */
  weights: Map<string, WeightArray>;
}

export interface KerasModel {
  name: string;
  /** Input shape without the batch dimension, NHWC, e.g. [48, 48, 1]. */
  inputShape: number[];
  layers: KerasLayer[];
}

interface RawLayer {
  class_name: string;
  config: Record<string, unknown> & { name?: string; batch_input_shape?: (number | null)[] };
}

/** Builds a KerasModel from parsed model.json and the concatenated weight bytes (pure). */
export function kerasModelFromJson(json: ModelJsonFile, weightBytes: Uint8Array, dir = '<memory>'): KerasModel {
  const topo = json.modelTopology as { class_name?: string; config?: { name?: string; layers?: RawLayer[] } };
  // Keras 2-style files nest the topology under model_config.
  const top = (topo as { model_config?: typeof topo }).model_config ?? topo;
  if (top.class_name !== 'Sequential' || !Array.isArray(top.config?.layers)) {
    throw new ModelFolderError(
      dir,
      `only Sequential models can be exported to ONNX (found ${top.class_name ?? 'unknown'})`,
    );
  }
  const rawLayers = top.config.layers;

  // Weights: the manifest lists them in file order; values are float32 (the trainer saves no quantised weights).
  const byName = new Map<string, WeightArray>();
  let off = 0;
  for (const group of json.weightsManifest) {
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      if (spec.dtype !== 'float32')
        throw new ModelFolderError(dir, `weight ${spec.name} is ${spec.dtype}, expected float32`);
      if (off + count * 4 > weightBytes.byteLength)
        throw new ModelFolderError(dir, 'weights file is shorter than model.json says');
      // Copy: the source offset may not be 4-byte aligned, and callers may modify weights (BN folding).
      const data = new Float32Array(count);
      new Uint8Array(data.buffer).set(weightBytes.subarray(off, off + count * 4));
      off += count * 4;
      byName.set(spec.name, { shape: [...spec.shape], data });
    }
  }

  let inputShape: number[] | null = null;
  const layers: KerasLayer[] = [];
  for (const raw of rawLayers) {
    const name = raw.config.name ?? raw.class_name;
    if (raw.config.batch_input_shape && !inputShape) {
      inputShape = raw.config.batch_input_shape.slice(1).map((d) => d ?? Number.NaN);
    }
    const weights = new Map<string, WeightArray>();
    for (const [wName, w] of byName) {
      const slash = wName.lastIndexOf('/');
      // tfjs may suffix the layer scope with _1, _2 … when a process builds several models.
      const scope = wName.slice(0, slash);
      if (scope === name) weights.set(wName.slice(slash + 1).replace(/_\d+$/, ''), w);
    }
    layers.push({ className: raw.class_name, name, config: raw.config, weights });
  }
  if (!inputShape || inputShape.some((d) => !Number.isFinite(d))) {
    throw new ModelFolderError(
      dir,
      'model.json does not give a fixed input shape (batch_input_shape of the first layer)',
    );
  }
  return { name: top.config.name ?? 'model', inputShape, layers };
}

export async function readKerasModel(dirIn: string): Promise<KerasModel> {
  const dir = resolve(dirIn);
  const json = await checkModelFolder(dir);
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) for (const p of group.paths) parts.push(await readFile(join(dir, p)));
  const total = parts.reduce((s, b) => s + b.byteLength, 0);
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.byteLength;
  }
  return kerasModelFromJson(json, bytes, dir);
}
