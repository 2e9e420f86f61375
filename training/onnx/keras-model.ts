/**
 * Reads a TensorFlow.js layers model folder (model.json + weights.bin) into plain
 * data — layer configs and float32 weights by name — without tfjs, so the ONNX
 * exporter needs no backend and works on any folder the trainer writes.
 */
import { resolve } from 'node:path';
import { ModelFolderError } from '../../server/ml/model-folder/files.ts';
import type { ModelJsonFile } from '../../server/ml/model-folder/model-json.ts';
import { type FolderWeight, readWeightBytes, splitWeights } from '../../server/ml/model-folder/weights.ts';

export interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  /** Weights of this layer by parameter name ("kernel", "bias", "gamma", "moving_mean", …). */
  weights: Map<string, FolderWeight>;
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

/**
 * Builds a KerasModel from parsed model.json and its weights by name (pure). The
 * weight arrays are used as they are: the exporter folds batch norms into them.
 */
export function kerasModelFromJson(
  json: ModelJsonFile,
  weights: ReadonlyMap<string, FolderWeight>,
  dir = '<memory>',
): KerasModel {
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

  let inputShape: number[] | null = null;
  const layers: KerasLayer[] = [];
  for (const raw of rawLayers) {
    const name = raw.config.name ?? raw.class_name;
    if (raw.config.batch_input_shape && !inputShape) {
      inputShape = raw.config.batch_input_shape.slice(1).map((d) => d ?? Number.NaN);
    }
    const layerWeights = new Map<string, FolderWeight>();
    for (const [wName, w] of weights) {
      const slash = wName.lastIndexOf('/');
      // tfjs may suffix the layer scope with _1, _2 … when a process builds several models.
      const scope = wName.slice(0, slash);
      if (scope === name) layerWeights.set(wName.slice(slash + 1).replace(/_\d+$/, ''), w);
    }
    layers.push({ className: raw.class_name, name, config: raw.config, weights: layerWeights });
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
  const { json, specs, bytes } = await readWeightBytes(dir);
  return kerasModelFromJson(json, splitWeights(specs, bytes, dir), dir);
}
