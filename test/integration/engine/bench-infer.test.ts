import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CSV, saveRandomModel, type TempModel } from '../../helpers/model-fixture.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bench/bench-infer.ts');
let model: TempModel;

beforeAll(async () => {
  model = await saveRandomModel('vgg8', 4);
});
afterAll(async () => {
  await model?.cleanup();
});

// A smoke test of the output contract only: speed is reported by the benchmark, never asserted.
describe('bench:infer', () => {
  it('prints machine, model, a row per engine/mode/batch and a JSON last line', async () => {
    const r = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        '--model',
        model.dir,
        '--engines',
        'onnx',
        '--batches',
        '1,4',
        '--seconds',
        '0.1',
        '--workers',
        '2',
        '--json',
      ],
      { cwd: ROOT, env: { ...process.env, FER2013_CSV: FIXTURE_CSV }, timeout: 120_000 },
    );
    const lines = r.stdout.trim().split('\n');
    const j = JSON.parse(lines[lines.length - 1] as string);
    expect(j.machine.cores).toBeGreaterThan(0);
    expect(typeof j.machine.cpu).toBe('string');
    expect(j.peakGflopsPerCore).toBe(100);
    expect(j.model.flopsPerImage).toBeGreaterThan(1e6);
    expect(j.engines).toEqual(['onnx']);
    const modes = j.rows.map(
      (row: { mode: string; workers: number; batch: number }) => `${row.mode}/${row.workers}/${row.batch}`,
    );
    expect(modes).toEqual(['1 thread/1/1', '1 thread/1/4', 'pool/1/1', 'pool/1/4', 'pool/2/1', 'pool/2/4']);
    for (const row of j.rows) {
      expect(row.imgPerSec).toBeGreaterThan(0);
      expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms);
      expect(row.peakFraction).toBeGreaterThan(0);
    }
    expect(r.stderr).toMatch(/assumed 100 GFLOP\/s fp32 per core/);
    // It starts worker pools of 1 and 2: on a busy 2-core machine that alone can pass a minute.
  }, 180_000);

  it('rejects bad flags', async () => {
    const e = (await run(process.execPath, ['--import', 'tsx', CLI, '--batches', '0,3'], { cwd: ROOT }).catch(
      (x) => x,
    )) as {
      code: number;
      stderr: string;
    };
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(/--batches.*integers in 1\.\.4096/);
    const f = (await run(process.execPath, ['--import', 'tsx', CLI, '--engines', 'onnx,gpu'], { cwd: ROOT }).catch(
      (x) => x,
    )) as {
      code: number;
      stderr: string;
    };
    expect(f.code).not.toBe(0);
    expect(f.stderr).toMatch(/'gpu' is not one of/);
  });
});
