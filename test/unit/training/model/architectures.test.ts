import { describe, expect, it } from 'vitest';
import { buildArchitecture, countFlops } from '../../../../training/model/architectures.ts';

describe('architectures', () => {
  it('builds the seed paper CNN exactly: valid 3×3 convs, 1,678,023 parameters', () => {
    const m = buildArchitecture('seed');
    expect(m.countParams()).toBe(1_678_023);
    expect(m.layers.map((l) => l.getClassName())).toEqual([
      'Conv2D',
      'MaxPooling2D',
      'Conv2D',
      'MaxPooling2D',
      'Flatten',
      'Dense',
      'Dropout',
      'Dense',
    ]);
    expect(m.outputs[0]?.shape).toEqual([null, 7]);
    expect(m.layers[4]?.outputShape).toEqual([null, 6400]);
    expect(Math.round(countFlops(m) / 1e6)).toBe(38);
    m.dispose();
  });

  it('sizes the VGG-style networks like the reference table (params, MFLOP)', () => {
    const expected = { vgg8: [74_639, 15], vgg16: [295_575, 59] } as const;
    for (const [arch, [params, mflop]] of Object.entries(expected)) {
      const m = buildArchitecture(arch as 'vgg8' | 'vgg16');
      expect(m.countParams()).toBe(params);
      expect(Math.round(countFlops(m) / 1e6)).toBe(mflop);
      m.dispose();
    }
  });
});
