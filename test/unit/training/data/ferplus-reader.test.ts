import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFer2013 } from '../../../../training/data/fer2013-reader.ts';
import { ferPlusMajorities } from '../../../../training/data/ferplus-labels.ts';
import {
  alignFerPlus,
  FerPlusFormatError,
  parseFerPlus,
  readFerPlus,
} from '../../../../training/data/ferplus-reader.ts';

const FIX = join(import.meta.dirname, '../../../fixtures');
const HEADER = 'Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF';

describe('readFerPlus', () => {
  it('reads the committed sample: 301 rows of 10 votes, aligned with the FER2013 sample row for row', async () => {
    const plus = await readFerPlus(join(FIX, 'fer2013new-sample.csv'));
    const fer = await readFer2013(join(FIX, 'fer2013-sample.csv'));
    expect(plus.count).toBe(301);
    expect(plus.votes.length).toBe(3010);
    expect(() => alignFerPlus(fer, plus, 'fer2013new-sample.csv')).not.toThrow();
    // First row: "Training,fer0023802.png,0,9,0,0,0,0,0,0,1,0" → happy, the FER2013 label too.
    expect(Array.from(plus.votes.subarray(0, 10))).toEqual([0, 9, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(ferPlusMajorities(plus.votes, plus.count)[0]).toBe(fer.labels[0]);
  });

  it('accepts CRLF and an empty image name (FER+ leaves it empty for not-a-face rows)', () => {
    const d = parseFerPlus([`${HEADER}\r`, 'PublicTest,,0,0,0,0,0,0,0,0,0,10\r'], 'x.csv');
    expect(d.count).toBe(1);
    expect(d.usages[0]).toBe(1);
  });

  const cases: [string, string[], RegExp][] = [
    ['a wrong header', ['emotion,pixels,Usage', '0,1 2,Training'], /x\.csv:1: wrong header/],
    [
      'a missing column',
      [HEADER, 'Training,a.png,1,2,3,4,0,0,0,0,0'],
      /x\.csv:2: expected 12 comma-separated fields, found 11/,
    ],
    [
      'a vote that is not an integer',
      [HEADER, 'Training,a.png,1,2,x,4,0,0,0,0,0,3'],
      /surprise votes "x" is not an integer in 0-10/,
    ],
    ['a vote above 10', [HEADER, 'Training,a.png,11,0,0,0,0,0,0,0,0,0'], /neutral votes "11"/],
    ['an unknown Usage', [HEADER, 'Test,a.png,10,0,0,0,0,0,0,0,0,0'], /unknown Usage "Test"/],
    ['a row without votes', [HEADER, 'Training,a.png,0,0,0,0,0,0,0,0,0,0'], /x\.csv:2: row has no votes/],
    ['an empty file', [], /file is empty/],
  ];
  for (const [name, lines, msg] of cases) {
    it(`rejects ${name}, naming file and line`, () => {
      expect(() => parseFerPlus(lines, 'x.csv')).toThrow(FerPlusFormatError);
      expect(() => parseFerPlus(lines, 'x.csv')).toThrow(msg);
    });
  }

  it('refuses a FER+ file that does not match the FER2013 rows', async () => {
    const fer = await readFer2013(join(FIX, 'fer2013-sample.csv'));
    const dir = mkdtempSync(join(tmpdir(), 'ferplus-'));
    const short = join(dir, 'short.csv');
    writeFileSync(short, `${HEADER}\nTraining,a.png,10,0,0,0,0,0,0,0,0,0\n`);
    expect(() =>
      alignFerPlus(fer, parseFerPlus([HEADER, 'Training,a.png,10,0,0,0,0,0,0,0,0,0'], short), short),
    ).toThrow(/has 1 rows but the FER2013 file has 301/);
    const plus = await readFerPlus(join(FIX, 'fer2013new-sample.csv'));
    const swapped = { ...plus, usages: Uint8Array.from(plus.usages, (u, i) => (i === 0 ? 2 : u)) };
    expect(() => alignFerPlus(fer, swapped, 'f.csv')).toThrow(
      /f\.csv row 1 is PrivateTest but FER2013 row 1 is Training/,
    );
  });
});
