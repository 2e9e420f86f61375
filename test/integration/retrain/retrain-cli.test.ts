import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEmotionEngine } from '../../../server/ml/engine/create-engine.ts';
import type { ModelMetrics } from '../../../server/ml/model-folder/metrics.ts';
import { readFolderWeights } from '../../../server/ml/model-folder/weights.ts';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { readFer2013 } from '../../../training/data/fer2013-reader.ts';
import { main } from '../../../training/retrain/cli.ts';
import { rewriteModelCard } from '../../../training/retrain/publish.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/fer2013-sample.csv');
const tmp = mkdtempSync(join(tmpdir(), 'retrain-'));

async function run(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const o = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  });
  try {
    const code = await main(args);
    return { code, err: err.join('\n'), out: out.join('\n') };
  } finally {
    e.mockRestore();
    o.mockRestore();
    se.mockRestore();
  }
}

describe('retrain CLI validation (fails before any training)', () => {
  const base = ['--data', FIXTURE, '--out', join(tmp, 'never'), '--no-progress'];
  const cases: [string, string[], RegExp][] = [
    ['epochs not a number', ['--epochs', 'ten'], /--epochs must be an integer/],
    ['epochs zero', ['--epochs', '0'], /--epochs must be between 1 and 1000/],
    ['unknown arch', ['--arch', 'resnet'], /Allowed choices are seed, vgg8, vgg16, vgg32/],
    ['unknown flag', ['--frobnicate'], /unknown option '--frobnicate'/],
    ['negative lr', ['--lr', '-1'], /--lr must be a number/],
    ['unknown kernel init', ['--kernel-init', 'xavier'], /Allowed choices are he, pytorch/],
  ];
  for (const [name, extra, msg] of cases) {
    it(`rejects ${name}`, async () => {
      const r = await run([...base, ...extra]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(existsSync(join(tmp, 'never'))).toBe(false);
    });
  }

  it('rejects a missing data file', async () => {
    const r = await run(['--data', join(tmp, 'nope.csv'), '--out', join(tmp, 'never')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/data file not found: .*nope\.csv/);
  });

  it('rejects a file in the wrong layout, naming the line', async () => {
    const bad = join(tmp, 'bad.csv');
    writeFileSync(bad, 'label,image\n1,2\n');
    const r = await run(['--data', bad, '--out', join(tmp, 'never'), '--run-dir', join(tmp, 'r0')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.csv:1: wrong header/);
  });

  it('rejects --init-from a folder without a model', async () => {
    const r = await run([...base, '--init-from', tmp]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--init-from .*: no model\.json there/);
  });

  it('rejects --init-from a model of another architecture', async () => {
    const dir = join(tmp, 'other-arch');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), '{}');
    writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ architecture: 'vgg8' }));
    const r = await run([...base, '--arch', 'seed', '--init-from', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/that model is vgg8, not --arch seed/);
  });

  it('rejects --distill-weight without --teacher', async () => {
    const r = await run([...base, '--distill-weight', '0.5']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--distill-weight needs --teacher/);
  });

  it('rejects --teacher a model of another architecture', async () => {
    const r = await run([...base, '--arch', 'vgg16', '--teacher', join(tmp, 'other-arch')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--teacher .*: that model is vgg8, not --arch vgg16/);
  });

  it('rejects an output folder that is not writable', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const r = await run(['--data', FIXTURE, '--out', join(file, 'model')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not a folder|not writable/);
  });
});

describe('retrain smoke run', () => {
  const out = join(tmp, 'models', 'tiny');
  const runDir = join(tmp, 'runs', 'tiny');
  let result: { code: number; err: string; out: string };

  beforeAll(async () => {
    result = await run([
      ...['--data', FIXTURE, '--arch', 'vgg8', '--epochs', '1', '--batch', '32', '--workers', '2'],
      ...['--out', out, '--run-dir', runDir, '--no-progress', '--seed', '3'],
    ]);
  }, 240_000);
  afterAll(() => undefined);

  it('trains one epoch end to end and publishes a complete model folder', () => {
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    for (const f of [
      'model.json',
      'weights.bin',
      'metrics.json',
      'MODEL_CARD.md',
      'confusion-matrix.svg',
      'training-curve.svg',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ModelMetrics;
    expect(m.architecture).toBe('vgg8');
    expect(m.params).toBe(74_639);
    expect(m.epochs).toBe(1);
    expect(m.evaluation.PrivateTest?.plain.n).toBe(56);
    expect(m.evaluation.PublicTest.flipTta.confusion).toHaveLength(7);
    expect(existsSync(join(runDir, 'checkpoint.json'))).toBe(true);
    expect(readFileSync(join(runDir, 'train.log'), 'utf8')).toMatch(/epoch 1\/1/);
  });

  it('is loadable by the server engine and predicts distributions', async () => {
    const engine = await createEmotionEngine({ modelDir: out, engine: 'tfjs', workers: 1 });
    try {
      const d = await readFer2013(FIXTURE);
      const frames = [0, 1, 2].map((i) => d.images.slice(i * FRAME_BYTES, (i + 1) * FRAME_BYTES));
      const probs = await engine.predict(frames);
      expect(probs).toHaveLength(3);
      for (const p of probs) {
        expect(p).toHaveLength(EMOTION_COUNT);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      }
    } finally {
      await engine.dispose();
    }
  });

  it('resumes from the checkpoint and continues with the next epoch', async () => {
    const r = await run([
      ...['--data', FIXTURE, '--arch', 'vgg8', '--epochs', '2', '--batch', '32', '--workers', '1'],
      ...['--out', out, '--run-dir', runDir, '--no-progress', '--seed', '3', '--resume'],
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/resumed from .*epoch 2, step 0/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ModelMetrics;
    expect(m.epochs).toBe(2);
    expect((m.history as unknown[]).length).toBe(2);
  }, 240_000);

  it('warm-restarts from a published model (--init-from) instead of random weights', async () => {
    const warm = join(tmp, 'models', 'warm');
    const r = await run([
      ...['--data', FIXTURE, '--arch', 'vgg8', '--epochs', '1', '--batch', '32', '--workers', '1', '--lr', '1e-6'],
      ...['--out', warm, '--run-dir', join(tmp, 'runs', 'warm'), '--no-progress', '--seed', '4', '--init-from', out],
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/initial weights from .*tiny/);
    const before = await readFolderWeights(out);
    const after = await readFolderWeights(warm);
    // At a learning rate of 1e-6 the kernels barely move from where they started.
    for (const name of ['s1_conv1/kernel', 's4_conv2/kernel', 'probs/kernel']) {
      const a = before.get(name)?.values;
      const b = after.get(name)?.values;
      if (!a || !b) throw new Error(`missing ${name}`);
      const maxDiff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
      expect(maxDiff, name).toBeLessThan(1e-3);
    }
    const m = JSON.parse(readFileSync(join(warm, 'metrics.json'), 'utf8')) as { training: { initFrom?: string } };
    expect(m.training.initFrom).toBe(out);
  }, 240_000);

  it('distils from a teacher (--teacher): soft targets from its flip-averaged predictions', async () => {
    const student = join(tmp, 'models', 'student');
    const r = await run([
      ...['--data', FIXTURE, '--arch', 'vgg8', '--epochs', '1', '--batch', '32', '--workers', '2'],
      ...['--out', student, '--run-dir', join(tmp, 'runs', 'student'), '--no-progress', '--seed', '5'],
      ...['--teacher', out, '--distill-weight', '0.7'],
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/teacher .*tiny: Training accuracy \d+\.\d+% \(flip TTA\), used as soft targets/);
    const m = JSON.parse(readFileSync(join(student, 'metrics.json'), 'utf8')) as {
      training: { teacher?: string; distillWeight?: number };
    };
    expect(m.training.teacher).toBe(out);
    expect(m.training.distillWeight).toBe(0.7);
    expect(readFileSync(join(student, 'MODEL_CARD.md'), 'utf8')).toMatch(/Distillation: .*weight 0\.7/);
  }, 240_000);

  it('re-renders a card after a neighbour is renamed (npm run model-card)', async () => {
    const before = readFileSync(join(out, 'MODEL_CARD.md'), 'utf8');
    expect(before).not.toMatch(/^\| promoted \(/m);
    renameSync(join(tmp, 'models', 'student'), join(tmp, 'models', 'promoted'));
    await rewriteModelCard(out);
    const after = readFileSync(join(out, 'MODEL_CARD.md'), 'utf8');
    expect(after).toMatch(/^\| promoted \(vgg8, 1 epoch\) \|/m);
    expect(after).not.toMatch(/^\| student \(/m);
  });
});
