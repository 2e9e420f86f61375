import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../../training/onnx/export.ts';
import { FIXTURE_CSV, saveRandomModel, type TempModel } from '../../helpers/model-fixture.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'training/eval/evaluate-cli.ts');

let model: TempModel;

async function evaluate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, FER2013_CSV: FIXTURE_CSV },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  model = await saveRandomModel('vgg8', 9);
  await exportOnnx(model.dir);
});
afterAll(async () => {
  await model?.cleanup();
});

describe('evaluate-cli', () => {
  it('prints one JSON object with the documented fields (--json)', async () => {
    const r = await evaluate(['--model', model.dir, '--usage', 'PublicTest', '--workers', '1', '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0] as string);
    expect(j.model).toBe(model.dir);
    expect(j.usage).toBe('PublicTest');
    expect(j.n).toBe(140); // 20 PublicTest rows per class in the fixture
    expect(j.engine).toMatch(/^onnx/);
    expect(j.accuracy).toBeGreaterThanOrEqual(0);
    expect(j.accuracy).toBeLessThanOrEqual(1);
    expect(typeof j.macroF1).toBe('number');
    expect(Object.keys(j.perClassRecall)).toEqual(['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']);
    expect(j.confusion).toHaveLength(7);
    const total = (j.confusion as number[][]).flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(140);
    // Diagonal / n is the accuracy.
    const diag = (j.confusion as number[][]).reduce((s, row, i) => s + (row[i] as number), 0);
    expect(j.accuracy).toBeCloseTo(diag / 140, 10);
  }, 180_000); // CLI starts with worker pools: room for a busy machine

  it('gives the same numbers through tfjs and ONNX, and leaves out classes the file lacks', async () => {
    const csv = (await readFile(FIXTURE_CSV, 'utf8')).trim().split('\n');
    const subset = [csv[0], ...csv.slice(1).filter((l) => l.startsWith('3,') || l.startsWith('5,'))];
    const file = join(model.dir, 'happy-surprise.csv');
    await writeFile(file, `${subset.join('\n')}\n`);
    const evaluateWith = async (engine: 'tfjs' | 'onnx') => {
      const args = ['--model', model.dir, '--data', file, '--usage', 'all', '--engine', engine, '--workers', '1'];
      return JSON.parse((await evaluate([...args, '--json'])).stdout);
    };
    const a = await evaluateWith('tfjs');
    const b = await evaluateWith('onnx');
    expect(Object.keys(a.perClassRecall)).toEqual(['happy', 'surprise']);
    expect(a.n).toBe(86);
    expect(b.confusion).toEqual(a.confusion);
    expect(b.accuracy).toBe(a.accuracy);
  }, 180_000); // CLI starts with worker pools: room for a busy machine

  it('prints a table by default', async () => {
    const r = await evaluate(['--model', model.dir, '--usage', 'PrivateTest', '--workers', '1', '--tta']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/accuracy\s+\d+\.\d\d%\s+macro-F1/);
    expect(r.stdout).toMatch(/flip TTA/);
    expect(r.stdout).toMatch(/^neutral\s/m);
    expect(r.stdout).toMatch(/confusion \(rows: true/);
  }, 180_000); // CLI starts with worker pools: room for a busy machine

  it('rejects bad flags with a clear error and a non-zero exit', async () => {
    const bad = await evaluate(['--model', model.dir, '--usage', 'Validation']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--usage.*Validation.*invalid/);
    const noModel = await evaluate(['--model', join(model.dir, 'missing')]);
    expect(noModel.code).not.toBe(0);
    expect(noModel.stderr).toMatch(/does not exist/);
    const noData = await evaluate(['--model', model.dir, '--data', '/nonexistent.csv']);
    expect(noData.code).not.toBe(0);
    expect(noData.stderr).toMatch(/--data .* does not exist/);
    const workers = await evaluate(['--model', model.dir, '--workers', 'two']);
    expect(workers.code).not.toBe(0);
    expect(workers.stderr).toMatch(/--workers.*positive integer/);
  }, 240_000); // four CLI starts: room for a busy machine
});
