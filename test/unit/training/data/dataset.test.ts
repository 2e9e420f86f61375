import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  batchIndices,
  classCounts,
  PROJECT_ROOT,
  resolveDataPath,
  selectUsage,
} from '../../../../training/data/dataset.ts';
import { readFer2013 } from '../../../../training/data/fer2013-reader.ts';

const FIX = join(import.meta.dirname, '../../../fixtures/fer2013-sample.csv');

describe('dataset helpers', () => {
  it('PROJECT_ROOT is the repository root (the default data path and the CLIs resolve from it)', () => {
    expect(PROJECT_ROOT).toBe(join(import.meta.dirname, '../../../..'));
    expect(existsSync(join(PROJECT_ROOT, 'package.json'))).toBe(true);
  });

  it('selects rows by Usage and counts classes', async () => {
    const d = await readFer2013(FIX);
    const pub = selectUsage(d, 'PublicTest');
    const train = selectUsage(d, 'Training');
    const priv = selectUsage(d, 'PrivateTest');
    expect(pub.count + train.count + priv.count).toBe(d.count);
    expect(classCounts(pub.labels)).toEqual([20, 20, 20, 20, 20, 20, 20]);
    expect(classCounts(train.labels)).toEqual([15, 15, 15, 15, 15, 15, 15]);
  });

  it('makes deterministic shuffled batches that cover every index once', () => {
    const a = [...batchIndices(103, 10, 7, 0)].map((b) => Array.from(b));
    const b = [...batchIndices(103, 10, 7, 0)].map((x) => Array.from(x));
    const other = [...batchIndices(103, 10, 7, 1)].map((x) => Array.from(x));
    expect(a).toEqual(b);
    expect(a).not.toEqual(other);
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(a.at(-1)).toHaveLength(3);
    expect([...batchIndices(103, 10, 7, 0, true)]).toHaveLength(10);
  });

  it('finds the data file by flag, then FER2013_CSV', () => {
    expect(resolveDataPath('x.csv', {})).toMatch(/x\.csv$/);
    expect(resolveDataPath(undefined, { FER2013_CSV: '/tmp/y.csv.gz' })).toBe('/tmp/y.csv.gz');
  });
});
