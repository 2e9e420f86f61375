import { copyFile, mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizePixels } from '../../../server/ml/engine/preprocess.ts';
import { createTfjsEngine } from '../../../server/ml/engine/tfjs-engine.ts';
import { loadModelFolder } from '../../../server/ml/engine/tfjs-model.ts';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import type { Fer2013Data } from '../../../training/data/fer2013-reader.ts';
import { loadFixture, saveRandomModel, type TempModel } from '../../helpers/model-fixture.ts';

let seed: TempModel;
let data: Fer2013Data;

function frames(from: number, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) =>
    data.images.subarray((from + i) * FRAME_BYTES, (from + i + 1) * FRAME_BYTES),
  );
}

beforeAll(async () => {
  data = await loadFixture();
  seed = await saveRandomModel('vgg8', 3);
});
afterAll(async () => {
  await seed?.cleanup();
});

describe('createTfjsEngine', () => {
  it('returns one 7-probability vector per frame, in input order, matching the model', async () => {
    const engine = await createTfjsEngine({ modelDir: seed.dir });
    expect(engine.name).toMatch(/^tfjs-(node|wasm|cpu)$/);
    const input = frames(0, 5);
    const out = await engine.predict(input);
    expect(out).toHaveLength(5);
    for (const p of out) {
      expect(p).toHaveLength(EMOTION_COUNT);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    // Same as running the model directly on the shared preprocessing.
    const model = await loadModelFolder(seed.dir);
    const x = tf.tensor4d(normalizePixels(data.images.subarray(0, 5 * FRAME_BYTES)), [5, 48, 48, 1]);
    const y = model.predict(x) as tf.Tensor;
    const ref = y.dataSync();
    tf.dispose([x, y]);
    model.dispose();
    for (let i = 0; i < 5; i++) {
      for (let k = 0; k < EMOTION_COUNT; k++) expect(out[i]?.[k]).toBeCloseTo(ref[i * EMOTION_COUNT + k] as number, 5);
    }
    // Batch composition does not change a frame's result.
    const single = await engine.predict([input[3] as Uint8Array]);
    for (let k = 0; k < EMOTION_COUNT; k++) expect(single[0]?.[k]).toBeCloseTo(out[3]?.[k] as number, 5);
    expect(await engine.predict([])).toEqual([]);
    await engine.dispose();
  });

  it('flip TTA averages the frame and its mirror image', async () => {
    const plain = await createTfjsEngine({ modelDir: seed.dir });
    const tta = await createTfjsEngine({ modelDir: seed.dir, tta: true });
    expect(tta.name).toContain('tta');
    const f = frames(10, 3);
    const mirrored = f.map((fr) => {
      const m = new Uint8Array(FRAME_BYTES);
      for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) m[y * 48 + x] = fr[y * 48 + 47 - x] as number;
      return m;
    });
    const a = await plain.predict(f);
    const b = await plain.predict(mirrored);
    const t = await tta.predict(f);
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < EMOTION_COUNT; k++) {
        expect(t[i]?.[k]).toBeCloseTo(0.5 * ((a[i]?.[k] as number) + (b[i]?.[k] as number)), 5);
      }
    }
    await plain.dispose();
    await tta.dispose();
  });

  it('does not leak tensors across predictions (plain and TTA, chunked batches)', async () => {
    const engine = await createTfjsEngine({ modelDir: seed.dir, tta: true, chunk: 7 });
    await engine.predict(frames(0, 20)); // warm-up: backend-internal allocations
    const before = tf.memory().numTensors;
    for (let r = 0; r < 5; r++) await engine.predict(frames(r * 20, 20));
    expect(tf.memory().numTensors).toBe(before);
    await engine.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('rejects frames of the wrong size', async () => {
    const engine = await createTfjsEngine({ modelDir: seed.dir });
    await expect(engine.predict([new Uint8Array(100)])).rejects.toThrow(/2304 bytes/);
    await engine.dispose();
  });
});

describe('broken model folders', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ea-broken-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function variant(name: string, mutate: (dir: string) => Promise<void>): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    await copyFile(join(seed.dir, 'model.json'), join(dir, 'model.json'));
    await copyFile(join(seed.dir, 'weights.bin'), join(dir, 'weights.bin'));
    await mutate(dir);
    return dir;
  }

  it('names a missing folder', async () => {
    await expect(createTfjsEngine({ modelDir: join(root, 'nope') })).rejects.toThrow(/nope: does not exist/);
  });
  it('names a missing model.json', async () => {
    const dir = await variant('no-json', (d) => rm(join(d, 'model.json')));
    await expect(createTfjsEngine({ modelDir: dir })).rejects.toThrow(/model\.json is missing/);
  });
  it('names a corrupt model.json', async () => {
    const dir = await variant('bad-json', (d) => writeFile(join(d, 'model.json'), '{"modelTopology": '));
    await expect(createTfjsEngine({ modelDir: dir })).rejects.toThrow(/model\.json is not valid JSON/);
    const dir2 = await variant('not-model', (d) => writeFile(join(d, 'model.json'), '{"hello": 1}'));
    await expect(createTfjsEngine({ modelDir: dir2 })).rejects.toThrow(/not a TensorFlow\.js layers model/);
  });
  it('names missing or truncated weights', async () => {
    const dir = await variant('no-weights', (d) => rm(join(d, 'weights.bin')));
    await expect(createTfjsEngine({ modelDir: dir })).rejects.toThrow(/weights file weights\.bin .* is missing/);
    const dir2 = await variant('short-weights', (d) => truncate(join(d, 'weights.bin'), 1000));
    await expect(createTfjsEngine({ modelDir: dir2 })).rejects.toThrow(/weights hold 1000 bytes but .* describes/);
  });
});
