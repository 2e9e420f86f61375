/**
 * AdamW (decoupled weight decay) over plain Float32Arrays. The optimizer lives in the
 * main thread so its whole state is a few arrays that checkpoint exactly.
 */
export interface AdamWConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.01 };

export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export function createAdamWState(shapes: readonly number[]): AdamWState {
  return { step: 0, m: shapes.map((n) => new Float32Array(n)), v: shapes.map((n) => new Float32Array(n)) };
}

/** Updates `params` in place. `decay[i]` says whether parameter i gets weight decay (kernels yes, BN/bias no). */
export function adamWStep(
  params: Float32Array[],
  grads: readonly Float32Array[],
  state: AdamWState,
  lr: number,
  decay: readonly boolean[],
  cfg: AdamWConfig = DEFAULT_ADAMW,
): void {
  state.step++;
  const { beta1, beta2, epsilon, weightDecay } = cfg;
  const bc1 = 1 - beta1 ** state.step;
  const bc2 = 1 - beta2 ** state.step;
  const stepSize = lr / bc1;
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as Float32Array;
    const g = grads[i] as Float32Array;
    const m = state.m[i] as Float32Array;
    const v = state.v[i] as Float32Array;
    const wd = decay[i] ? lr * weightDecay : 0;
    for (let k = 0; k < p.length; k++) {
      const gk = g[k] as number;
      const mk = beta1 * (m[k] as number) + (1 - beta1) * gk;
      const vk = beta2 * (v[k] as number) + (1 - beta2) * gk * gk;
      m[k] = mk;
      v[k] = vk;
      p[k] = (p[k] as number) * (1 - wd) - (stepSize * mk) / (Math.sqrt(vk / bc2) + epsilon);
    }
  }
}
