/**
 * Loads a model folder into a tfjs LayersModel from memory, without tfjs-node's
 * file:// handler, so it works with the wasm and cpu backends too.
 */
import * as tf from '@tensorflow/tfjs';
import { readWeightBytes } from '../model-folder/weights.ts';

export async function loadModelFolder(dir: string): Promise<tf.LayersModel> {
  const { json, specs, bytes } = await readWeightBytes(dir);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      // checkModelFolder has accepted the dtypes; tfjs validates them again as it loads.
      weightSpecs: specs as tf.io.WeightsManifestEntry[],
      weightData: bytes.buffer as ArrayBuffer,
    }),
  );
}
