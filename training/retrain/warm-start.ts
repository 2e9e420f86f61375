/** Weights for the replicas taken from a published model folder (warm restarts, teachers). */
import { readFolderWeights } from '../../server/ml/model-folder/weights.ts';
import type { WeightSpec } from './messages.ts';

/** The replicas' weights, in spec order, taken by name from a published model folder. */
export async function weightsFromFolder(dir: string, specs: readonly WeightSpec[]): Promise<Float32Array[]> {
  const found = await readFolderWeights(dir);
  return specs.map((s) => {
    const w = found.get(s.name);
    if (!w || w.shape.join('x') !== s.shape.join('x')) {
      throw new Error(
        `${dir}: the model has no weight ${s.name} of shape [${s.shape.join(',')}]` +
          (w ? ` (it has [${w.shape.join(',')}])` : '') +
          '; it must be a model of the same --arch',
      );
    }
    return w.values;
  });
}
