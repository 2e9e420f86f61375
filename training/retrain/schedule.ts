/** One-cycle learning rate: linear warm-up to the peak, then cosine annealing. Pure. */
export interface OneCycleConfig {
  maxLr: number;
  totalSteps: number;
  /** Fraction of steps spent warming up. */
  pctStart: number;
  /** Start at maxLr / divFactor. */
  divFactor: number;
  /** End at maxLr / finalDivFactor. */
  finalDivFactor: number;
}

export function oneCycleLr(step: number, c: OneCycleConfig): number {
  const warm = Math.max(1, Math.floor(c.totalSteps * c.pctStart));
  const start = c.maxLr / c.divFactor;
  const end = c.maxLr / c.finalDivFactor;
  if (step < warm) return start + ((c.maxLr - start) * step) / warm;
  const t = Math.min(1, (step - warm) / Math.max(1, c.totalSteps - warm));
  return end + ((c.maxLr - end) * (1 + Math.cos(Math.PI * t))) / 2;
}
