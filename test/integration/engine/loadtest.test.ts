import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../../training/onnx/export.ts';
import { FIXTURE_CSV, saveRandomModel, type TempModel } from '../../helpers/model-fixture.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
let model: TempModel;

beforeAll(async () => {
  model = await saveRandomModel('vgg8', 2);
  await exportOnnx(model.dir);
});
afterAll(async () => {
  await model?.cleanup();
});

describe('loadtest', () => {
  it('plays real games against a child server and reports the JSON fields', { timeout: 180_000 }, async () => {
    const args = ['--import', 'tsx', join(ROOT, 'bench/loadtest.ts')];
    const r = await run(
      process.execPath,
      [
        ...args,
        '--players',
        '3',
        '--rooms',
        '2',
        '--fps',
        '5',
        '--duration',
        '6',
        '--model',
        model.dir,
        '--bot-workers',
        '1',
        '--json',
      ],
      { cwd: ROOT, env: { ...process.env, FER2013_CSV: FIXTURE_CSV }, timeout: 170_000 },
    );
    const lines = r.stdout.trim().split('\n');
    const j = JSON.parse(lines[lines.length - 1] as string);
    for (const k of [
      'players',
      'rooms',
      'fps',
      'durationS',
      'framesSent',
      'framesScored',
      'framesDropped',
      'p50Ms',
      'p95Ms',
      'p99Ms',
      'disconnects',
      'serverPeakRssMb',
    ]) {
      expect(j).toHaveProperty(k);
    }
    expect(j.players).toBe(3);
    expect(j.rooms).toBe(2);
    expect(j.framesSent).toBeGreaterThan(0);
    expect(j.framesScored).toBeGreaterThan(0);
    expect(j.framesScored).toBeLessThanOrEqual(j.framesSent);
    expect(j.disconnects).toBe(0);
    expect(j.serverPeakRssMb).toBeGreaterThan(10);
    expect(j.p50Ms).toBeGreaterThan(0);
  });

  it('rejects impossible room sizes with a clear error', async () => {
    const err = await run(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench/loadtest.ts'), '--players', '40', '--rooms', '1'],
      { cwd: ROOT },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).not.toBe(0);
    expect((err as { stderr: string }).stderr).toMatch(/40 players per room exceeds the room limit of 16/);
  });
});
