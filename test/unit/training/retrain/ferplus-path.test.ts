import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveFerPlusPath } from '../../../../training/retrain/cli.ts';

describe('resolveFerPlusPath (retrain --ferplus / --no-ferplus)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferplus-path-'));
  const fer = join(dir, 'fer2013.csv.gz');

  it('uses nothing when no fer2013new.csv lies beside the FER2013 file, so runs work as before', () => {
    expect(resolveFerPlusPath(undefined, fer)).toBeNull();
  });

  it('defaults to fer2013new.csv beside the FER2013 file when it exists', () => {
    writeFileSync(join(dir, 'fer2013new.csv'), '');
    expect(resolveFerPlusPath(undefined, fer)).toBe(join(dir, 'fer2013new.csv'));
  });

  it('takes the flag over the default, and --no-ferplus turns it off', () => {
    expect(resolveFerPlusPath('other.csv', fer)).toBe(resolve('other.csv'));
    expect(resolveFerPlusPath(false, fer)).toBeNull();
  });
});
