import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EvaluateJson, recordAsServed } from '../../../../training/eval/evaluate-cli.ts';

const result = (labels: 'fer' | 'ferplus', usage: 'PublicTest' | 'PrivateTest', accuracy: number): EvaluateJson => ({
  model: '/m',
  usage,
  data: '/data/fer2013.csv.gz',
  labels,
  excluded: labels === 'ferplus' ? 239 : 0,
  engine: 'onnx-int8, calibrated (2 workers, batch ≤ 64)',
  tta: false,
  n: 3350,
  accuracy,
  macroF1: 0.6,
  perClassRecall: { sad: 0.7 },
  perClass: {},
  confusion: [],
  seconds: 1,
});

describe('recordAsServed (evaluate --record)', () => {
  it('adds each result under asServed.<labels>.<usage> without touching the rest of metrics.json', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'record-')), 'metrics.json');
    writeFileSync(file, JSON.stringify({ architecture: 'vgg16', bestEpoch: 14 }));
    recordAsServed(file, result('ferplus', 'PrivateTest', 0.68), 'npm run evaluate -- --labels ferplus');
    recordAsServed(file, result('fer', 'PrivateTest', 0.59), 'npm run evaluate -- --usage PrivateTest');
    recordAsServed(file, result('fer', 'PrivateTest', 0.65), 'npm run evaluate -- --no-calibration', false);
    const m = JSON.parse(readFileSync(file, 'utf8'));
    expect(m.architecture).toBe('vgg16');
    expect(m.bestEpoch).toBe(14);
    expect(m.asServed.ferplus.PrivateTest).toMatchObject({
      accuracy: 0.68,
      excluded: 239,
      data: 'fer2013.csv.gz',
      command: 'npm run evaluate -- --labels ferplus',
    });
    expect(m.asServed.fer.PrivateTest.accuracy).toBe(0.59);
    // A --no-calibration result measures the network, kept apart from what is served.
    expect(m.asServed.ferNetwork.PrivateTest.accuracy).toBe(0.65);
  });
});
