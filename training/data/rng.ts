/** Small seedable PRNG (mulberry32) whose whole state is one number, so checkpoints can store it. */
export interface Rng {
  next(): number;
  /** Current internal state; `createRng(state, true)` continues from it. */
  state(): number;
}

export function createRng(seed: number, isState = false): Rng {
  let s = isState ? seed >>> 0 : hashSeed(seed);
  return {
    next() {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    state: () => s,
  };
}

function hashSeed(seed: number): number {
  let h = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
