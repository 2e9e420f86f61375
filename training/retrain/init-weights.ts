/** Seeded initial weights, so a run is reproducible from --seed alone. */
import type { Rng } from '../data/rng.ts';
import type { WeightSpec } from './messages.ts';

/**
 * How kernels start. 'he': He normal for convolutions, Glorot uniform for dense layers
 * (Keras's habits). 'pytorch': U(±1/√fan-in) for both (PyTorch's default, which the
 * issue's reference GPU run used): about 2.4× smaller convolution kernels. A
 * convolution followed by batch norm computes the same function at any kernel scale,
 * but Adam moves each weight by about lr per step whatever its size, so the smaller
 * start trains with a larger effective learning rate.
 */
export const KERNEL_INITS = ['he', 'pytorch'] as const;
export type KernelInit = (typeof KERNEL_INITS)[number];

export function initialWeights(specs: readonly WeightSpec[], rng: Rng, scheme: KernelInit): Float32Array[] {
  return specs.map((s) => {
    const a = new Float32Array(s.size);
    const leaf = s.name.split('/').pop() ?? s.name;
    if (leaf === 'kernel') {
      const fanIn = s.shape.slice(0, -1).reduce((x, y) => x * y, 1);
      const fanOut =
        (s.shape[s.shape.length - 1] as number) *
        (s.shape.length === 4 ? (s.shape[0] as number) * (s.shape[1] as number) : 1);
      if (scheme === 'pytorch') {
        const limit = 1 / Math.sqrt(fanIn);
        for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * limit;
      } else if (s.shape.length === 2) {
        // Glorot uniform for dense layers (Keras's default).
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * limit;
      } else {
        // He normal for ReLU convolutions.
        const std = Math.sqrt(2 / fanIn);
        for (let i = 0; i < a.length; i++) a[i] = gaussian(rng) * std;
      }
    } else if (leaf === 'gamma' || leaf === 'moving_variance') {
      a.fill(1);
    }
    return a;
  });
}

function gaussian(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
