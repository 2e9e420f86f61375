/**
 * Saves and loads TensorFlow.js layers models as a folder (`model.json` + `weights.bin`)
 * without tfjs-node's file:// handler, so it works with the wasm and cpu backends too.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export async function saveModelFolder(model: tf.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      const bytes =
        weightData === undefined
          ? new Uint8Array(0)
          : new Uint8Array(Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData);
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, WEIGHTS_BIN), bytes);
      await writeFile(join(dir, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** model.json and every weight file of a folder, the weight bytes concatenated in manifest order. */
async function readModelArtifacts(
  dir: string,
): Promise<{ json: ModelJson; weightSpecs: tf.io.WeightsManifestEntry[]; weightData: Uint8Array }> {
  const json = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8')) as ModelJson;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${join(dir, MODEL_JSON)} is not a TensorFlow.js layers model`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readFile(join(dir, p)));
  }
  // A fresh copy: its buffer is exactly the bytes (a pooled Buffer's need not be) and 4-byte aligned.
  const weightData = new Uint8Array(buffers.reduce((s, b) => s + b.byteLength, 0));
  let off = 0;
  for (const b of buffers) {
    weightData.set(b, off);
    off += b.byteLength;
  }
  return { json, weightSpecs, weightData };
}

export async function loadModelFolder(dir: string): Promise<tf.LayersModel> {
  const { json, weightSpecs, weightData } = await readModelArtifacts(dir);
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer }),
  );
}

export interface NamedWeight {
  shape: number[];
  values: Float32Array;
}

/**
 * A model folder's weights by name, read straight from model.json's manifest and
 * the weight files (no model is built, so names carry no tfjs de-duplication suffix).
 */
export async function readFolderWeights(dir: string): Promise<Map<string, NamedWeight>> {
  const { weightSpecs, weightData } = await readModelArtifacts(dir);
  const out = new Map<string, NamedWeight>();
  let off = 0;
  for (const w of weightSpecs) {
    if (w.dtype !== 'float32' || w.quantization) {
      throw new Error(
        `${join(dir, MODEL_JSON)}: weight ${w.name} is ${w.dtype}${w.quantization ? ' (quantised)' : ''}, expected float32`,
      );
    }
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (off + n * 4 > weightData.byteLength) throw new Error(`${dir}: weight files are shorter than model.json says`);
    out.set(w.name, { shape: [...w.shape], values: new Float32Array(weightData.buffer, off, n) });
    off += n * 4;
  }
  return out;
}
