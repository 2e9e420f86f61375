import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRAME_BYTES } from '../../../../shared/frame.ts';
import { Fer2013FormatError, Fer2013Parser, readFer2013 } from '../../../../training/data/fer2013-reader.ts';

const FIX = join(import.meta.dirname, '../../../fixtures');
const bad = (name: string) => join(FIX, 'bad', name);

describe('readFer2013', () => {
  it('reads the plain and gzipped sample identically into one compact Uint8Array', async () => {
    const plain = await readFer2013(join(FIX, 'fer2013-sample.csv'));
    const gz = await readFer2013(join(FIX, 'fer2013-sample.csv.gz'));
    expect(plain.count).toBe(301);
    expect(plain.images).toBeInstanceOf(Uint8Array);
    expect(plain.images.length).toBe(301 * FRAME_BYTES);
    expect(gz.count).toBe(plain.count);
    expect(Buffer.compare(Buffer.from(gz.images), Buffer.from(plain.images))).toBe(0);
    expect(Array.from(gz.labels)).toEqual(Array.from(plain.labels));
    expect(new Set(plain.usages)).toEqual(new Set([0, 1, 2]));
  });

  it('parses the first row exactly', async () => {
    const d = await readFer2013(join(FIX, 'fer2013-sample.csv'));
    const { readFileSync } = await import('node:fs');
    const first = readFileSync(join(FIX, 'fer2013-sample.csv'), 'utf8').split('\n')[1] as string;
    const [label, pixels] = first.split(',');
    expect(d.labels[0]).toBe(Number(label));
    expect(Array.from(d.images.subarray(0, FRAME_BYTES))).toEqual((pixels as string).split(' ').map(Number));
  });

  it('accepts CRLF line endings', async () => {
    expect((await readFer2013(bad('crlf.csv'))).count).toBe(2);
  });

  const cases: [string, number, RegExp][] = [
    ['wrong-header.csv', 1, /wrong header/],
    ['bad-label.csv', 3, /label "7" is not an integer in 0-6/],
    ['short-pixels.csv', 3, /expected 2304 pixels \(48x48\), found 2303/],
    ['pixel-range.csv', 3, /pixel 2304 value 256 is outside 0-255/],
    ['pixel-not-int.csv', 3, /pixel 2304 is not a non-negative integer/],
    ['bad-usage.csv', 3, /unknown Usage "Validation"/],
  ];
  for (const [file, line, message] of cases) {
    it(`rejects ${file} naming line ${line}`, async () => {
      const err = await readFer2013(bad(file)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Fer2013FormatError);
      expect((err as Fer2013FormatError).line).toBe(line);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(`${file}:${line}:`);
    });
  }

  it('skips bad rows when asked and reports how many and why', async () => {
    const d = await readFer2013(bad('mixed-bad.csv'), { skipBadRows: true });
    expect(d.count).toBe(2);
    expect(d.skipped.total).toBe(3);
    expect(d.skipped.examples.map((e) => e.line)).toEqual([3, 4, 6]);
    expect(Object.keys(d.skipped.byReason)).toHaveLength(3);
  });

  it('fails clearly on a missing file and an empty file', async () => {
    await expect(readFer2013(bad('does-not-exist.csv'))).rejects.toThrow(/ENOENT/);
    const p = new Fer2013Parser('empty.csv', false);
    expect(() => p.finish()).toThrow(/file is empty/);
  });

  it('handles rows split across chunks', () => {
    const p = new Fer2013Parser('mem.csv', false);
    const row = `3,${new Array(FRAME_BYTES).fill('7').join(' ')},Training\n`;
    const text = `emotion,pixels,Usage\n${row}${row}`;
    for (let i = 0; i < text.length; i += 1000) p.push(Buffer.from(text.slice(i, i + 1000)));
    const d = p.finish();
    expect(d.count).toBe(2);
    expect(d.images.every((v) => v === 7)).toBe(true);
  });
});
