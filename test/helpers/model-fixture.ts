/** Test helpers: model folders with random weights (and random BN statistics) in temp dirs. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../server/ml/runtime/backend.ts';
import { type Fer2013Data, readFer2013 } from '../../training/data/fer2013-reader.ts';
import { type Architecture, buildArchitecture } from '../../training/model/architectures.ts';
import { saveModelFolder } from '../../training/model/save-model.ts';

export const FIXTURE_CSV = resolve(import.meta.dirname, '../fixtures/fer2013-sample.csv');

export function loadFixture(): Promise<Fer2013Data> {
  return readFer2013(FIXTURE_CSV);
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds `arch` with seeded random weights; BatchNormalization layers get random
 * gamma/beta/moving statistics so that folding them at export is really tested.
 */
export function randomModel(arch: Architecture, seed = 1): tf.LayersModel {
  const model = buildArchitecture(arch);
  const r = rng(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const cls = layer.getClassName();
    const next = ws.map((w, i) => {
      const n = w.size;
      const v = new Float32Array(n);
      if (cls === 'BatchNormalization') {
        // [gamma, beta, movingMean, movingVariance]
        for (let k = 0; k < n; k++) {
          const u = r();
          v[k] = i === 0 ? 0.5 + u : i === 1 ? u - 0.5 : i === 2 ? 0.2 * (u - 0.5) : 0.5 + u;
        }
      } else {
        const fanIn = w.shape.length > 1 ? w.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 16;
        const scale = Math.sqrt(6 / fanIn);
        for (let k = 0; k < n; k++) v[k] = (r() * 2 - 1) * (i === 0 ? scale : 0.1);
      }
      return tf.tensor(v, w.shape);
    });
    layer.setWeights(next);
    for (const t of next) t.dispose();
  }
  return model;
}

export interface TempModel {
  dir: string;
  cleanup(): Promise<void>;
}

export async function saveRandomModel(arch: Architecture, seed = 1): Promise<TempModel> {
  await initBackend(); // tfjs needs an initialised backend before building layers
  const root = await mkdtemp(join(tmpdir(), `ea-${arch}-`));
  const dir = join(root, arch);
  const model = randomModel(arch, seed);
  await saveModelFolder(model, dir);
  model.dispose();
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}
