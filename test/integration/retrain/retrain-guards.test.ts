/**
 * Retraining never makes the game worse (issue 17, item 5): a data file with fewer training rows
 * than one batch still trains (a smaller batch) instead of publishing an untrained model; a loss
 * that goes NaN stops the run with a message and publishes nothing; publishing over a better model
 * is refused with both figures unless --force.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyModelHashes } from '../../../server/ml/model-folder/hashes.ts';
import type { ModelMetrics } from '../../../server/ml/model-folder/metrics.ts';
import { main } from '../../../training/retrain/cli.ts';
import { shippedModelDir } from '../../helpers/server-harness.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/fer2013-sample.csv');
const tmp = mkdtempSync(join(tmpdir(), 'retrain-guards-'));
// The fixture has 105 Training rows: fewer than the default batch of 128.
const TINY = ['--data', FIXTURE, '--arch', 'vgg8', '--epochs', '1', '--workers', '1', '--no-progress', '--seed', '7'];

async function run(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const o = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, err: err.join('\n'), out: out.join('\n') };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
}

/** Each case trains and exports a model: minutes on a busy 2-core machine. */
const SLOW = 400_000;

const metricsOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as ModelMetrics;

describe('retrain guards', () => {
  const small = join(tmp, 'models', 'small');
  let first: { code: number; err: string; out: string };
  beforeAll(async () => {
    first = await run([...TINY, '--out', small, '--run-dir', join(tmp, 'runs', 'small')]);
  }, SLOW);

  it('trains with a partial batch when the data has fewer training rows than --batch', () => {
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/only 105 training images, fewer than --batch 128: using batches of 105/);
    const m = metricsOf(small);
    const history = m.history as { trainLoss: number; imgPerSec: number }[];
    expect(history[0]?.trainLoss).toSatisfy(Number.isFinite);
    expect(history[0]?.imgPerSec).toBeGreaterThan(0);
    expect(m.trainImgPerSec).toBeGreaterThan(0);
  });

  it('publishes SHA256SUMS with the model', async () => {
    expect(await verifyModelHashes(small)).toMatchObject({ verified: true });
  });

  it(
    'stops a run that diverges (NaN weights), with a message, and publishes nothing',
    async () => {
      // A warm start from weights that are all NaN: the very first step's loss is NaN.
      const poisoned = join(tmp, 'models', 'poisoned');
      cpSync(small, poisoned, { recursive: true });
      const size = statSync(join(poisoned, 'weights.bin')).size;
      const nan = new Float32Array(size / 4).fill(Number.NaN);
      writeFileSync(join(poisoned, 'weights.bin'), new Uint8Array(nan.buffer));
      const out = join(tmp, 'models', 'from-nan');
      const r = await run([...TINY, '--init-from', poisoned, '--out', out, '--run-dir', join(tmp, 'runs', 'nan')]);
      expect(r.code).toBe(1);
      // NaN weights give a clamped, finite loss; the run is stopped on the weights (a NaN loss stops it the same way).
      expect(r.err).toMatch(
        /retrain: training stopped: the weights became NaN or infinite at epoch 1, step 1; nothing was published/,
      );
      expect(existsSync(out)).toBe(false);
    },
    SLOW,
  );

  it.skipIf(!shippedModelDir())(
    'refuses to publish over a model that serves a higher PublicTest accuracy, stating both, unless --force',
    async () => {
      const served = join(tmp, 'models', 'served');
      cpSync(shippedModelDir() as string, served, { recursive: true });
      const before = readFileSync(join(served, 'SHA256SUMS'), 'utf8');
      const r = await run([...TINY, '--out', served, '--run-dir', join(tmp, 'runs', 'over')]);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(
        /not published into .*served: the new model's PublicTest accuracy as served, \d+\.\d\d% \(.*n=\d+\), is lower than the current model's \d+\.\d\d% \(int8 ONNX, PublicTest n=3589\)/,
      );
      expect(readFileSync(join(served, 'SHA256SUMS'), 'utf8')).toBe(before); // the served folder is untouched
      const kept = readdirSync(join(tmp, 'models')).filter((n) => n.startsWith('refused-served-'));
      expect(kept).toHaveLength(1);
      expect(r.err).toContain(kept[0]);
      expect(metricsOf(join(tmp, 'models', kept[0] as string)).architecture).toBe('vgg8');

      const forced = await run([...TINY, '--out', served, '--run-dir', join(tmp, 'runs', 'forced'), '--force']);
      expect(forced.code).toBe(0);
      expect(forced.out).toMatch(/--force: publishing although the new model's PublicTest accuracy/);
      expect(metricsOf(served).architecture).toBe('vgg8');
    },
    SLOW,
  );
});
