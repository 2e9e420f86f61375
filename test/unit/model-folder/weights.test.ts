import { describe, expect, it } from 'vitest';
import { ModelFolderError } from '../../../server/ml/model-folder/files.ts';
import { splitWeights } from '../../../server/ml/model-folder/weights.ts';

const bytesOf = (...values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe('splitWeights', () => {
  it('splits the bytes into float32 weights by manifest name, in manifest order', () => {
    const weights = splitWeights(
      [
        { name: 'conv/kernel', shape: [1, 2], dtype: 'float32' },
        { name: 'conv/bias', shape: [1], dtype: 'float32' },
      ],
      bytesOf(1, 2, 3),
    );
    expect([...weights.keys()]).toEqual(['conv/kernel', 'conv/bias']);
    expect(weights.get('conv/kernel')).toEqual({ shape: [1, 2], values: new Float32Array([1, 2]) });
    expect(weights.get('conv/bias')?.values).toEqual(new Float32Array([3]));
  });

  it('refuses non-float32 or quantised weights and short files, naming the folder', () => {
    expect(() => splitWeights([{ name: 'w', shape: [1], dtype: 'float16' }], bytesOf(1), 'm')).toThrow(
      new ModelFolderError('m', 'weight w is float16, expected float32'),
    );
    expect(() =>
      splitWeights([{ name: 'w', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8' } }], bytesOf(1), 'm'),
    ).toThrow(/weight w is float32 \(quantised\), expected float32/);
    expect(() => splitWeights([{ name: 'w', shape: [2], dtype: 'float32' }], bytesOf(1), 'm')).toThrow(
      /model folder m: weight files are shorter than model.json says/,
    );
  });
});
