import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_LIVENESS,
  measureReplay,
  ReplayDetector,
  type ReplayMeasure,
  type ReplayProbe,
} from '../../../server/game/liveness.ts';
import { frameLayout } from '../../../server/game/liveness-features.ts';
import { createEmotionEngine } from '../../../server/ml/engine/create-engine.ts';
import { RingCells } from '../../../server/ml/engine/layout-ring.ts';
import { createOnnxEngine } from '../../../server/ml/engine/onnx-engine.ts';
import { createWorkerPool, WorkerDiedError } from '../../../server/ml/engine/pool.ts';
import { createTfjsEngine } from '../../../server/ml/engine/tfjs-engine.ts';
import type { Fer2013Data } from '../../../training/data/fer2013-reader.ts';
import { encodeOnnxModel } from '../../../training/onnx/encode.ts';
import { exportOnnx } from '../../../training/onnx/export.ts';

const emptyGraph: OnnxGraph = {
  name: 'broken',
  input: { name: 'input', dims: ['N', 48, 48, 1] },
  output: { name: 'probs', dims: ['N', 7] },
  nodes: [],
  initializers: [],
};

import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import type { OnnxGraph } from '../../../training/onnx/graph.ts';
import { loadFixture, saveRandomModel, type TempModel } from '../../helpers/model-fixture.ts';

let data: Fer2013Data;
let model: TempModel;
/** tfjs reference probabilities for every fixture row. */
let reference: Float32Array[];

const frame = (i: number): Uint8Array => data.images.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
const frames = (from: number, n: number): Uint8Array[] =>
  Array.from({ length: n }, (_, k) => frame((from + k) % data.count));

function expectClose(a: Float32Array | undefined, b: Float32Array | undefined, tol = 1e-4): void {
  expect(a).toBeDefined();
  expect(b).toBeDefined();
  for (let k = 0; k < EMOTION_COUNT; k++) expect(Math.abs((a?.[k] as number) - (b?.[k] as number))).toBeLessThan(tol);
}

beforeAll(async () => {
  data = await loadFixture();
  model = await saveRandomModel('vgg8', 5);
  await exportOnnx(model.dir);
  const tfjs = await createTfjsEngine({ modelDir: model.dir });
  reference = await tfjs.predict(frames(0, data.count));
  await tfjs.dispose();
});
afterAll(async () => {
  await model?.cleanup();
});

describe('createOnnxEngine', () => {
  it('matches the tfjs engine, with and without TTA', async () => {
    const onnx = await createOnnxEngine({ modelDir: model.dir, intraOpThreads: 1 });
    expect(onnx.name).toBe('onnx');
    const out = await onnx.predict(frames(0, 40));
    for (let i = 0; i < 40; i++) expectClose(out[i], reference[i]);
    const tta = await createOnnxEngine({ modelDir: model.dir, tta: true, chunk: 16 });
    const tfTta = await createTfjsEngine({ modelDir: model.dir, tta: true });
    const a = await tta.predict(frames(50, 40));
    const b = await tfTta.predict(frames(50, 40));
    for (let i = 0; i < 40; i++) expectClose(a[i], b[i]);
    // Concurrent calls on one engine are serialised and keep their own results.
    const [x, y] = await Promise.all([onnx.predict(frames(3, 5)), onnx.predict(frames(100, 7))]);
    for (let i = 0; i < 5; i++) expectClose(x[i], reference[3 + i]);
    for (let i = 0; i < 7; i++) expectClose(y[i], reference[100 + i]);
    await Promise.all([onnx.dispose(), tta.dispose(), tfTta.dispose()]);
  });

  it('says how to fix a folder without model.onnx', async () => {
    const m = await saveRandomModel('vgg8', 6);
    await expect(createOnnxEngine({ modelDir: m.dir })).rejects.toThrow(/model\.onnx is missing \(export it/);
    await m.cleanup();
  });
});

describe('worker pool', () => {
  it('runs several ONNX sessions in several worker threads concurrently (onnxruntime issue 24486)', async () => {
    const pool = await createWorkerPool({
      init: { modelDir: model.dir, engine: 'onnx', tta: false, intraOpThreads: 1 },
      workers: 4,
      maxBatch: 5,
    });
    for (let round = 0; round < 3; round++) {
      const reqs = Array.from({ length: 60 }, (_, r) => ({ from: (r * 7 + round) % data.count, n: 1 + (r % 4) }));
      const outs = await Promise.all(reqs.map((q) => pool.predict(frames(q.from, q.n))));
      reqs.forEach((q, r) => {
        expect(outs[r]).toHaveLength(q.n);
        for (let i = 0; i < q.n; i++) expectClose(outs[r]?.[i], reference[(q.from + i) % data.count]);
      });
    }
    await pool.dispose();
  });

  it('micro-batches requests that arrive in the same tick', async () => {
    const engine = await createEmotionEngine({ modelDir: model.dir, engine: 'onnx', workers: 1, maxBatch: 8 });
    const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.predict([frame(i)])));
    for (const [i, o] of outs.entries()) expectClose(o[0], reference[i]);
    // 20 single-frame requests, one worker, batches of ≤ 8: 8 + 8 + 4.
    expect(engine.stats()).toEqual({ batches: 3, frames: 20 });
    await engine.dispose();
  });

  it('replaces a dead worker and fails only its in-flight requests', async () => {
    process.env.EMOTION_ENGINE_TEST_CRASH = '1';
    const warnings: string[] = [];
    const log = { info() {}, warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? '') };
    const engine = await createEmotionEngine({ modelDir: model.dir, engine: 'onnx', workers: 2, log });
    delete process.env.EMOTION_ENGINE_TEST_CRASH;
    const poison = new Uint8Array(FRAME_BYTES);
    poison[0] = 13;
    poison[1] = 37;
    const healthy = engine.predict(frames(0, 30)); // goes to the first idle worker
    await new Promise((r) => setImmediate(r));
    const dead = engine.predict([poison]); // next tick: the other worker, which crashes
    await expect(dead).rejects.toThrow(WorkerDiedError);
    await expect(dead).rejects.toThrow(/inference worker \d died \(exit code 3\)/);
    const ok = await healthy;
    for (let i = 0; i < 30; i++) expectClose(ok[i], reference[i]);
    expect(warnings.some((w) => /worker died/.test(w))).toBe(true);
    // The pool keeps serving with both workers (the replacement starts in the background).
    const after = await Promise.all([engine.predict(frames(40, 10)), engine.predict(frames(60, 10))]);
    for (let i = 0; i < 10; i++) expectClose(after[1]?.[i], reference[60 + i]);
    await engine.dispose();
  });

  it('frees every shared-memory slot after many jobs, queueing what does not fit in the lanes', async () => {
    const pool = await createWorkerPool({
      init: { modelDir: model.dir, engine: 'onnx', tta: false, intraOpThreads: 1 },
      workers: 2,
      maxBatch: 4,
      depth: 2,
    });
    expect(pool.slots()).toEqual({ total: 4, busy: 0 });
    const reqs = Array.from({ length: 150 }, (_, r) => ({ from: (r * 5) % data.count, n: 1 + (r % 3) }));
    const all = Promise.all(reqs.map((q) => pool.predict(frames(q.from, q.n))));
    const total = reqs.reduce((n, q) => n + q.n, 0);
    await new Promise((r) => setImmediate(r));
    // Far more than 4 slots × 4 frames: every slot is taken, the rest waits in the queue.
    // A worker may already have answered a batch or two by now (it runs in parallel), so the
    // check is that far more is pending than the lanes can hold, not an exact count.
    expect(pool.slots().busy).toBe(4);
    expect(pool.pending()).toBeGreaterThan(4 * 4 * 4);
    expect(pool.pending()).toBeLessThanOrEqual(total);
    const outs = await all;
    reqs.forEach((q, r) => {
      for (let i = 0; i < q.n; i++) expectClose(outs[r]?.[i], reference[(q.from + i) % data.count]);
    });
    expect(pool.slots()).toEqual({ total: 4, busy: 0 });
    expect(pool.pending()).toBe(0);
    expect(pool.stats().frames).toBe(total);
    await pool.dispose();
  });

  it('measures replay checks in the workers, to the bit of the main thread, naming earlier layouts by ring slot', async () => {
    const pool = await createWorkerPool({
      init: { modelDir: model.dir, engine: 'onnx', tta: false, intraOpThreads: 1 },
      workers: 2,
      maxBatch: 4,
      replayWindow: 6,
    });
    const detector = new ReplayDetector({ ...DEFAULT_LIVENESS, maxFrames: 6 });
    // Real faces, with a repeat (a replay) among them.
    const rows = [0, 1, 2, 3, 2, 4, 5, 6, 7, 8, 8, 9];
    const sequence = rows.map((i) => frame(i));
    const verdicts: boolean[] = [];
    // Two frames at a time: they go to both workers, each compared with what came back before.
    for (let i = 0; i < sequence.length; i += 2) {
      const pair = sequence.slice(i, i + 2);
      const probes = pair.map((_, k) => detector.probe((i + k) * 200));
      const scored = await pool.predictWithReplay(
        pair,
        probes.map((p) => p.earlier),
      );
      for (const [k, s] of scored.entries()) {
        const probe = probes[k] as ReplayProbe;
        if (i > 0) expect(probe.earlier.every((e) => e.cells instanceof RingCells)).toBe(true);
        const here = measureReplay(pair[k] as Uint8Array, probe.earlier);
        expect(s.replay).toBeDefined();
        expect(Array.from(s.replay?.distances ?? [])).toEqual(Array.from(here.distances));
        expect(Array.from(s.replay?.cells ?? [])).toEqual(Array.from(here.cells));
        expect(s.replay?.textured).toBe(here.textured);
        expectClose(s.probabilities, reference[rows[i + k] as number]);
        verdicts.push(detector.complete(probe, s.replay as ReplayMeasure).replay);
      }
    }
    // The repeats of rows 2 and 8 are caught; nothing else is.
    expect(verdicts).toEqual([false, false, false, false, true, false, false, false, false, false, true, false]);
    // A window longer than the lanes carry goes without a check (the room measures it itself).
    const long = Array.from({ length: 7 }, () => frameLayout(frame(0)));
    const [alone] = await pool.predictWithReplay([frame(1)], [long]);
    expect(alone?.replay).toBeUndefined();
    expect(alone?.probabilities).toHaveLength(EMOTION_COUNT);
    await pool.dispose();
  });

  it('a worker that dies with a full lane fails both its batches, frees its slots and is replaced', async () => {
    process.env.EMOTION_ENGINE_TEST_CRASH = '1';
    const logs: string[] = [];
    const log = {
      info: (_o: object | string, m?: string) => void logs.push(m ?? ''),
      warn: (_o: object | string, m?: string) => void logs.push(m ?? ''),
    };
    const pool = await createWorkerPool({
      init: { modelDir: model.dir, engine: 'onnx', tta: false, intraOpThreads: 1 },
      workers: 1,
      maxBatch: 1,
      depth: 2,
      log,
    });
    delete process.env.EMOTION_ENGINE_TEST_CRASH;
    const poison = new Uint8Array(FRAME_BYTES);
    poison[0] = 13;
    poison[1] = 37;
    // Same tick: the poison fills slot 0, frame 0 slot 1, frame 1 waits in the queue.
    const dead = pool.predict([poison]);
    const alsoInFlight = pool.predict([frame(0)]);
    const queued = pool.predict([frame(1)]);
    await expect(dead).rejects.toThrow(/inference worker 0 died \(exit code 3\) while scoring 2 frame\(s\)/);
    await expect(alsoInFlight).rejects.toThrow(WorkerDiedError);
    // The queued request is served by the replacement.
    const [p] = await queued;
    expectClose(p, reference[1]);
    expect(logs).toContain('inference worker replaced');
    expect(pool.slots()).toEqual({ total: 2, busy: 0 });
    expect(pool.pending()).toBe(0);
    await pool.dispose();
  });

  it('dispose() finishes accepted work, then refuses new work', async () => {
    const engine = await createEmotionEngine({ modelDir: model.dir, workers: 2 });
    const inFlight = engine.predict(frames(0, 64));
    const disposed = engine.dispose();
    const out = await inFlight;
    expect(out).toHaveLength(64);
    await disposed;
    await expect(engine.predict([frame(0)])).rejects.toThrow(/disposed/);
  });

  it('chooses onnx when model.onnx exists, tfjs otherwise, and reads metrics.json', async () => {
    const withOnnx = await createEmotionEngine({ modelDir: model.dir, workers: 1 });
    expect(withOnnx.name).toMatch(/^onnx \(1 worker/);
    expect(withOnnx.modelInfo.architecture).toBe('vgg8');
    expect(withOnnx.modelInfo.metrics).toBeNull();
    await withOnnx.dispose();

    const m = await saveRandomModel('vgg8', 5);
    await writeFile(
      join(m.dir, 'metrics.json'),
      JSON.stringify({ architecture: 'vgg8-custom', served: { tta: true }, evaluation: {} }),
    );
    const tfjs = await createEmotionEngine({ modelDir: m.dir, workers: 1 });
    expect(tfjs.name).toMatch(/^tfjs-(node|wasm|cpu) \+flip-tta \(1 worker/);
    expect(tfjs.modelInfo.architecture).toBe('vgg8-custom');
    expect(tfjs.modelInfo.metrics?.served.tta).toBe(true);
    const [p] = await tfjs.predict([frame(0)]);
    expect(p?.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    await tfjs.dispose();
    await expect(createEmotionEngine({ modelDir: m.dir, engine: 'onnx' })).rejects.toThrow(/model\.onnx is missing/);
    await rm(join(m.dir, 'weights.bin'));
    await expect(createEmotionEngine({ modelDir: m.dir })).rejects.toThrow(/weights\.bin .* is missing/);
    await m.cleanup();
  });

  it('falls back to tfjs when model.onnx is corrupt, and says why', async () => {
    const m = await saveRandomModel('vgg8', 5);
    await writeFile(join(m.dir, 'model.onnx'), Buffer.from('definitely not protobuf \u0000\u00ff'));
    const infos: object[] = [];
    const log = { info: (o: object | string) => void infos.push(o as object), warn() {} };
    const engine = await createEmotionEngine({ modelDir: m.dir, workers: 1, log });
    expect(engine.name).toMatch(/^tfjs-/);
    expect(JSON.stringify(infos)).toMatch(/model\.onnx is not a valid ONNX file/);
    const [p] = await engine.predict([frame(1)]);
    expectClose(p, reference[1]);
    await engine.dispose();
    await expect(createEmotionEngine({ modelDir: m.dir, engine: 'onnx', workers: 1 })).rejects.toThrow(
      /not a valid ONNX file/,
    );
    // Valid protobuf that onnxruntime refuses: the worker reports it and the pool falls back.
    await writeFile(join(m.dir, 'model.onnx'), encodeOnnxModel({ ...emptyGraph }));
    const warns: string[] = [];
    const fallback = await createEmotionEngine({
      modelDir: m.dir,
      workers: 1,
      log: { info() {}, warn: (o: object | string) => void warns.push(JSON.stringify(o)) },
    });
    expect(fallback.name).toMatch(/^tfjs-/);
    expect(warns.join()).toMatch(/onnxruntime could not load/);
    await fallback.dispose();
    await m.cleanup();
  });
});
