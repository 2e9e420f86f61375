/**
 * Streaming reader for FER2013 in the Kaggle layout `emotion,pixels,Usage`
 * (plain .csv or .csv.gz). Parses bytes directly — no per-row strings or number
 * arrays — so the full 35,887-row file reads in a few seconds into one Uint8Array.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';

export const USAGES = ['Training', 'PublicTest', 'PrivateTest'] as const;
export type Usage = (typeof USAGES)[number];

export interface Fer2013Data {
  /** count × 2304 grayscale bytes, row-major per image. */
  images: Uint8Array;
  labels: Uint8Array;
  /** Index into USAGES for each row. */
  usages: Uint8Array;
  count: number;
  skipped: SkippedRows;
}

export interface SkippedRows {
  total: number;
  /** Reason → number of rows skipped for it. */
  byReason: Record<string, number>;
  /** The first few skipped rows, for the log. */
  examples: { line: number; reason: string }[];
}

export class Fer2013FormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'Fer2013FormatError';
  }
}

export interface ReadOptions {
  /** Skip malformed rows (and report them) instead of failing on the first one. */
  skipBadRows?: boolean;
}

const EXPECTED_HEADER = ['emotion', 'pixels', 'usage'];

class RowError extends Error {}

export async function readFer2013(file: string, options: ReadOptions = {}): Promise<Fer2013Data> {
  const parser = new Fer2013Parser(file, options.skipBadRows ?? false);
  const raw = createReadStream(file);
  const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  // Errors of the file stream do not propagate through pipe(); forward them.
  raw.on('error', (err) => stream.destroy(err));
  for await (const chunk of stream as AsyncIterable<Buffer>) parser.push(chunk);
  return parser.finish();
}

/** Parses byte chunks; exported so tests can feed it strings without files. */
export class Fer2013Parser {
  private capacity = 1024;
  private images = new Uint8Array(this.capacity * FRAME_BYTES);
  private labels = new Uint8Array(this.capacity);
  private usages = new Uint8Array(this.capacity);
  private count = 0;
  private lineNo = 0;
  private headerSeen = false;
  private carry: Buffer | null = null;
  private readonly skipped: SkippedRows = { total: 0, byReason: {}, examples: [] };

  constructor(
    private readonly file: string,
    private readonly skipBad: boolean,
  ) {}

  push(chunk: Buffer): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      this.line(buf, start, nl);
      start = nl + 1;
    }
    this.carry = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
  }

  finish(): Fer2013Data {
    if (this.carry && this.carry.length > 0) this.line(this.carry, 0, this.carry.length);
    this.carry = null;
    if (!this.headerSeen)
      throw new Fer2013FormatError(this.file, 1, 'file is empty: expected header "emotion,pixels,Usage"');
    const n = this.count;
    return {
      images: this.images.slice(0, n * FRAME_BYTES),
      labels: this.labels.slice(0, n),
      usages: this.usages.slice(0, n),
      count: n,
      skipped: this.skipped,
    };
  }

  private line(buf: Buffer, start: number, end: number): void {
    this.lineNo++;
    if (end > start && buf[end - 1] === 13) end--; // CRLF
    if (end === start) return; // blank lines are harmless
    if (!this.headerSeen) {
      this.header(buf.toString('utf8', start, end));
      return;
    }
    try {
      this.row(buf, start, end);
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      if (!this.skipBad) throw new Fer2013FormatError(this.file, this.lineNo, err.message);
      const reason = err.message.replace(/\d+/g, 'N');
      this.skipped.total++;
      this.skipped.byReason[reason] = (this.skipped.byReason[reason] ?? 0) + 1;
      if (this.skipped.examples.length < 10) this.skipped.examples.push({ line: this.lineNo, reason: err.message });
    }
  }

  private header(text: string): void {
    const cols = text
      .replace(/^\uFEFF/, '')
      .split(',')
      .map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
    if (cols.length !== 3 || cols.some((c, i) => c !== EXPECTED_HEADER[i])) {
      throw new Fer2013FormatError(
        this.file,
        this.lineNo,
        `wrong header "${text.slice(0, 80)}": expected "emotion,pixels,Usage" (the Kaggle FER2013 layout)`,
      );
    }
    this.headerSeen = true;
  }

  private row(buf: Buffer, start: number, end: number): void {
    const c1 = buf.indexOf(44, start);
    if (c1 < 0 || c1 >= end) throw new RowError('expected 3 comma-separated fields: emotion,pixels,Usage');
    const c2 = buf.indexOf(44, c1 + 1);
    if (c2 < 0 || c2 >= end) throw new RowError('expected 3 comma-separated fields: emotion,pixels,Usage');
    if (buf.indexOf(44, c2 + 1) >= 0 && buf.indexOf(44, c2 + 1) < end) {
      throw new RowError('expected 3 comma-separated fields, found more');
    }
    const labelText = unquote(buf.toString('latin1', start, c1));
    if (!/^\d+$/.test(labelText) || Number(labelText) >= EMOTION_COUNT) {
      throw new RowError(`emotion label "${labelText.slice(0, 20)}" is not an integer in 0-${EMOTION_COUNT - 1}`);
    }
    const usageText = unquote(buf.toString('latin1', c2 + 1, end));
    const usage = (USAGES as readonly string[]).indexOf(usageText);
    if (usage < 0) {
      throw new RowError(`unknown Usage "${usageText.slice(0, 30)}": expected one of ${USAGES.join(', ')}`);
    }
    this.ensureCapacity();
    const out = this.images;
    const base = this.count * FRAME_BYTES;
    let i = c1 + 1;
    let pEnd = c2;
    if (buf[i] === 34) i++; // opening quote
    if (buf[pEnd - 1] === 34) pEnd--;
    let n = 0;
    while (i < pEnd) {
      while (i < pEnd && buf[i] === 32) i++;
      if (i >= pEnd) break;
      let v = 0;
      let digits = 0;
      while (i < pEnd) {
        const ch = buf[i] as number;
        if (ch === 32) break;
        if (ch < 48 || ch > 57) {
          throw new RowError(`pixel ${n + 1} is not a non-negative integer (found "${String.fromCharCode(ch)}")`);
        }
        v = v * 10 + (ch - 48);
        digits++;
        i++;
      }
      if (digits > 3 || v > 255) throw new RowError(`pixel ${n + 1} value ${v} is outside 0-255`);
      if (n < FRAME_BYTES) out[base + n] = v;
      n++;
    }
    if (n !== FRAME_BYTES) throw new RowError(`expected ${FRAME_BYTES} pixels (48x48), found ${n}`);
    this.labels[this.count] = Number(labelText);
    this.usages[this.count] = usage;
    this.count++;
  }

  private ensureCapacity(): void {
    if (this.count < this.capacity) return;
    this.capacity *= 2;
    const images = new Uint8Array(this.capacity * FRAME_BYTES);
    images.set(this.images);
    this.images = images;
    const labels = new Uint8Array(this.capacity);
    labels.set(this.labels);
    this.labels = labels;
    const usages = new Uint8Array(this.capacity);
    usages.set(this.usages);
    this.usages = usages;
  }
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}
