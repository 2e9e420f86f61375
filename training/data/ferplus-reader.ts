/**
 * Reader for Microsoft's FER+ file (fer2013new.csv): one row of 10 annotator votes
 * per FER2013 row, in the same order, header
 * `Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF`.
 * Every row is validated (Usage, 10 integer votes 0-10); alignFerPlus checks that it
 * matches a FER2013 file row for row (same count and the same Usage on every row).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Fer2013Data } from './fer2013-reader.ts';
import { USAGES } from './fer2013-reader.ts';
import { FERPLUS_COLUMNS, FERPLUS_VOTE_COLUMNS } from './ferplus-labels.ts';

export interface FerPlusData {
  /** count × 10 votes, in FERPLUS_COLUMNS order. */
  votes: Uint8Array;
  /** Index into USAGES for each row. */
  usages: Uint8Array;
  count: number;
}

export class FerPlusFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'FerPlusFormatError';
  }
}

const HEADER = ['usage', 'image name', ...FERPLUS_COLUMNS.map((c) => c.toLowerCase())];

/** Parses the text of a FER+ file (exported for tests); `file` names it in errors. */
export function parseFerPlus(lines: Iterable<string>, file: string): FerPlusData {
  let lineNo = 0;
  let headerSeen = false;
  let votes = new Uint8Array(1024 * FERPLUS_VOTE_COLUMNS);
  let usages = new Uint8Array(1024);
  let count = 0;
  for (const raw of lines) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const cols = line.split(',');
    if (!headerSeen) {
      const names = cols.map((c) =>
        c
          .replace(/^\uFEFF/, '')
          .trim()
          .toLowerCase(),
      );
      if (names.length !== HEADER.length || names.some((n, i) => n !== HEADER[i])) {
        throw new FerPlusFormatError(
          file,
          lineNo,
          `wrong header "${line.slice(0, 100)}": expected "Usage,Image name,${FERPLUS_COLUMNS.join(',')}" (Microsoft's fer2013new.csv)`,
        );
      }
      headerSeen = true;
      continue;
    }
    if (cols.length !== HEADER.length) {
      throw new FerPlusFormatError(
        file,
        lineNo,
        `expected ${HEADER.length} comma-separated fields, found ${cols.length}`,
      );
    }
    const usage = (USAGES as readonly string[]).indexOf((cols[0] as string).trim());
    if (usage < 0) {
      throw new FerPlusFormatError(
        file,
        lineNo,
        `unknown Usage "${(cols[0] as string).slice(0, 30)}": expected one of ${USAGES.join(', ')}`,
      );
    }
    if (count === usages.length) {
      const v = new Uint8Array(votes.length * 2);
      v.set(votes);
      votes = v;
      const u = new Uint8Array(usages.length * 2);
      u.set(usages);
      usages = u;
    }
    let total = 0;
    for (let c = 0; c < FERPLUS_VOTE_COLUMNS; c++) {
      const text = (cols[2 + c] as string).trim();
      if (!/^\d{1,2}$/.test(text) || Number(text) > 10) {
        throw new FerPlusFormatError(
          file,
          lineNo,
          `${FERPLUS_COLUMNS[c]} votes "${text.slice(0, 10)}" is not an integer in 0-10`,
        );
      }
      const v = Number(text);
      total += v;
      votes[count * FERPLUS_VOTE_COLUMNS + c] = v;
    }
    if (total === 0) throw new FerPlusFormatError(file, lineNo, 'row has no votes');
    usages[count] = usage;
    count++;
  }
  if (!headerSeen) throw new FerPlusFormatError(file, 1, 'file is empty: expected the FER+ header');
  return { votes: votes.slice(0, count * FERPLUS_VOTE_COLUMNS), usages: usages.slice(0, count), count };
}

export async function readFerPlus(file: string): Promise<FerPlusData> {
  const raw = createReadStream(file);
  const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (err) => stream.destroy(err));
  const lines: string[] = [];
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) lines.push(line);
  return parseFerPlus(lines, file);
}

/** Throws unless the FER+ rows match the FER2013 rows one for one (count and Usage of every row). */
export function alignFerPlus(fer: Pick<Fer2013Data, 'usages' | 'count'>, plus: FerPlusData, plusFile: string): void {
  if (plus.count !== fer.count) {
    throw new Error(
      `${plusFile} has ${plus.count} rows but the FER2013 file has ${fer.count}: FER+ rows must match FER2013 rows one for one, in order`,
    );
  }
  for (let i = 0; i < fer.count; i++) {
    if (plus.usages[i] !== fer.usages[i]) {
      throw new Error(
        `${plusFile} row ${i + 1} is ${USAGES[plus.usages[i] as number]} but FER2013 row ${i + 1} is ${USAGES[fer.usages[i] as number]}: the files are not in the same row order`,
      );
    }
  }
}
