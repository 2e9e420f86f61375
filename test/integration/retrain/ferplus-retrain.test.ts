/**
 * End to end on the committed samples (no ../shared data needed): retrain a tiny model
 * with FER+ vote targets and the face-api teacher, then score it with
 * `evaluate --labels ferplus` through the server's engine.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelMetrics } from '../../../server/ml/model-folder/metrics.ts';
import { main } from '../../../training/retrain/cli.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIX = join(ROOT, 'test/fixtures');
const FER = join(FIX, 'fer2013-sample.csv');
const PLUS = join(FIX, 'fer2013new-sample.csv');
const tmp = mkdtempSync(join(tmpdir(), 'ferplus-retrain-'));

async function retrain(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const o = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  });
  try {
    return { code: await main(args), err: err.join('\n'), out: out.join('\n') };
  } finally {
    e.mockRestore();
    o.mockRestore();
    se.mockRestore();
  }
}

async function evaluate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'training/eval/evaluate-cli.ts'), ...args],
      { cwd: ROOT },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const x = err as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('retrain with FER+ validation', () => {
  const base = ['--data', FER, '--out', join(tmp, 'never'), '--no-progress'];
  it('rejects soft-target weights that sum to more than 1', async () => {
    const r = await retrain([...base, '--ferplus', PLUS, '--ferplus-weight', '0.7', '--faceapi-weight', '0.4']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--ferplus-weight 0.7 \+ --distill-weight 0 \+ --faceapi-weight 0.4 = 1.1/);
  });
  it('rejects a missing FER+ file and one whose rows do not match', async () => {
    expect((await retrain([...base, '--ferplus', join(tmp, 'nope.csv')])).err).toMatch(
      /--ferplus .*nope\.csv does not exist/,
    );
    const short = join(tmp, 'short.csv');
    writeFileSync(short, `${readFileSync(PLUS, 'utf8').split('\n').slice(0, 11).join('\n')}\n`);
    const r = await retrain([...base, '--ferplus', short, '--run-dir', join(tmp, 'r-short')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/has 10 rows but the FER2013 file has 301/);
  });
  it('rejects --ferplus-weight and --selection fer+ferplus without FER+ votes', async () => {
    expect((await retrain([...base, '--ferplus-weight', '0.3'])).err).toMatch(/--ferplus-weight needs a FER\+ file/);
    expect((await retrain([...base, '--selection', 'fer+ferplus'])).err).toMatch(/needs a FER\+ file/);
  });
});

describe('retrain with FER+ targets and the face-api teacher', () => {
  const out = join(tmp, 'models', 'plus');
  const runDir = join(tmp, 'runs', 'plus');
  let result: { code: number; err: string; out: string };
  let metrics: ModelMetrics;

  beforeAll(async () => {
    result = await retrain([
      ...['--data', FER, '--ferplus', PLUS, '--ferplus-weight', '0.4', '--faceapi-weight', '0.2'],
      ...['--arch', 'vgg8', '--epochs', '1', '--batch', '32', '--workers', '1'],
      ...['--out', out, '--run-dir', runDir, '--no-progress', '--seed', '5'],
    ]);
    if (result.code === 0) metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ModelMetrics;
  }, 600_000);

  it('drops not-a-face rows, records the mix and the selection criterion in metrics.json', () => {
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    // The Training sample has 105 rows; FER+ marks 2 of them not a face (fixture votes).
    expect(result.out).toMatch(/FER\+ .*: 2 not-a-face Training rows dropped/);
    expect(result.out).toMatch(/training vgg8 .* on 103 images/);
    expect(metrics.training).toMatchObject({
      ferplus: 'fer2013new-sample.csv',
      ferplusWeight: 0.4,
      faceapiWeight: 0.2,
      labelWeight: 0.4,
      selection: 'fer+ferplus',
    });
    const h = (metrics.history as { publicAcc: number; publicFerPlusAcc: number; score: number }[])[0];
    expect(h?.score).toBeCloseTo(((h?.publicAcc ?? 0) + (h?.publicFerPlusAcc ?? 0)) / 2, 9);
  });

  it('caches the face-api predictions in the run folder', () => {
    expect(readFileSync(join(runDir, 'faceapi-probs.bin')).length).toBe(301 * 7 * 4);
    expect(JSON.parse(readFileSync(join(runDir, 'faceapi-probs.json'), 'utf8'))).toMatchObject({ rows: 301 });
    expect(readFileSync(join(runDir, 'train.log'), 'utf8')).toMatch(/targets: label 0.400, ferplus 0.4, faceapi 0.2/);
  });

  it('reports FER+ majority accuracy on the rows that have one (126 of 140 PublicTest rows)', () => {
    const f = metrics.evaluation.ferplus;
    expect(f?.PublicTest.plain.n).toBe(126);
    expect(f?.PrivateTest?.plain.n).toBeGreaterThan(0);
  });

  it('evaluate --labels ferplus scores the published model the same way through the server engine', async () => {
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    const r = await evaluate([
      ...['--model', out, '--data', FER, '--usage', 'PublicTest', '--labels', 'ferplus', '--ferplus', PLUS],
      ...['--engine', 'tfjs', '--workers', '1', '--json'],
    ]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { labels: string; n: number; excluded: number; accuracy: number };
    expect(j).toMatchObject({ labels: 'ferplus', n: 126, excluded: 14 });
    const trained = metrics.evaluation.ferplus?.PublicTest.plain.accuracy ?? -1;
    // Same weights, same rows; different engines may round a near-tie differently.
    expect(Math.abs(j.accuracy - trained)).toBeLessThanOrEqual(2 / 126);
  }, 120_000);

  it('evaluate --labels ferplus without a FER+ file beside --data says so', async () => {
    const r = await evaluate(['--model', out, '--data', FER, '--labels', 'ferplus']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--labels ferplus needs the FER\+ votes: no fer2013new\.csv beside/);
  });
});
