/**
 * Copies one release file (http(s) or a local mirror) to a local path, hashing it on the way, and
 * turns network and file-system failures into messages an operator can act on.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileLocation, ModelsCliError, type Source } from './source.ts';

export interface Copied {
  sha256: string;
  size: number;
  location: string;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (no network?)',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
};

/** The innermost cause's code: Node's fetch wraps socket errors as TypeError("fetch failed", { cause }). */
function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_REASONS) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function networkError(location: string, err: unknown): ModelsCliError {
  const code = errorCode(err);
  const cause = (err as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? ` (${cause.message})` : '';
  const message = (err as Error).message;
  // undici reports a body cut short as TypeError("terminated"): say what it means.
  const what = message === 'terminated' ? 'the connection broke off before the file was complete' : message;
  const reason = code ? `${NETWORK_REASONS[code]} (${code})` : `${what}${detail}`;
  return new ModelsCliError(
    `cannot download ${location}: ${reason}; check the network, or pass --from <mirror URL or folder>`,
  );
}

async function openSource(source: Source, location: string): Promise<Readable> {
  if (source.kind === 'dir') {
    const stream = createReadStream(location);
    // Surface a missing file here, with its path, rather than as a stream error later.
    await new Promise<void>((resolveOpen, reject) => {
      stream.once('open', () => resolveOpen());
      stream.once('error', reject);
    }).catch((err: NodeJS.ErrnoException) => {
      throw new ModelsCliError(
        err.code === 'ENOENT'
          ? `${location} does not exist: the mirror has no such release file (models:pack writes <folder>/<release>/<file>)`
          : `cannot read ${location}: ${err.message}`,
      );
    });
    return stream;
  }
  let res: Response;
  try {
    res = await fetch(location, { redirect: 'follow' });
  } catch (err) {
    throw networkError(location, err);
  }
  if (!res.ok || !res.body) {
    const hint =
      res.status === 404 ? ' (is the release published? see docs/training.md, "Publishing model files")' : '';
    throw new ModelsCliError(`cannot download ${location}: HTTP ${res.status} ${res.statusText}${hint}`);
  }
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** Copies `file` of `release` from `source` to `dest`, returning what was actually written. */
export async function copyReleaseFile(source: Source, release: string, file: string, dest: string): Promise<Copied> {
  const location = fileLocation(source, release, file);
  const input = await openSource(source, location);
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(input, tap, createWriteStream(dest, { flags: 'wx' }));
  } catch (err) {
    // A socket error or undici's "terminated" (a TypeError) is the network; anything else is the disk.
    if (source.kind === 'http' && (errorCode(err) !== undefined || err instanceof TypeError)) {
      throw networkError(location, err);
    }
    throw new ModelsCliError(`cannot copy ${location} to ${dest}: ${(err as Error).message}`);
  }
  return { sha256: hash.digest('hex'), size, location };
}
