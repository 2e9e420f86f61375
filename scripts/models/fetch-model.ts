/**
 * `models:fetch`: installs a manifest model into its folder. Every file is downloaded into a
 * hidden temp folder beside the destination and checked against the manifest's sha256 (and the
 * folder against its own SHA256SUMS, as the server will check it) before one rename installs it;
 * on any failure the temp folder is removed, so a damaged or half-downloaded model is never left
 * where the server or a retrain could pick it up.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { HASHES_FILE } from '../../server/ml/model-folder/files.ts';
import { verifyModelHashes } from '../../server/ml/model-folder/hashes.ts';
import { copyReleaseFile } from './download.ts';
import { compareFolder } from './folder-check.ts';
import { findEntry, type Manifest } from './manifest.ts';
import { describeSource, ModelsCliError, type Source } from './source.ts';

export interface FetchOptions {
  manifest: Manifest;
  name: string;
  source: Source;
  /** The model folder to create (models/<name> by default). */
  dest: string;
  /** Replace an existing folder that differs from the release. */
  force: boolean;
  log?: (line: string) => void;
}

export interface FetchResult {
  status: 'installed' | 'replaced' | 'already-installed';
  dest: string;
  files: number;
  bytes: number;
}

export function unknownModelMessage(manifest: Manifest, name: string): string {
  const known = manifest.models.map((e) => e.name).sort();
  return `unknown model "${name}": models/MANIFEST.json lists ${known.length > 0 ? known.join(', ') : 'no models'}`;
}

function tempSibling(dest: string, kind: string): string {
  return join(dirname(dest), `.${basename(dest)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export async function fetchModel(opts: FetchOptions): Promise<FetchResult> {
  const { manifest, name, source, dest, force } = opts;
  const log = opts.log ?? (() => {});
  const entry = findEntry(manifest, name);
  if (!entry) throw new ModelsCliError(unknownModelMessage(manifest, name));

  const exists = existsSync(dest);
  if (exists && !(await stat(dest)).isDirectory()) {
    throw new ModelsCliError(`${dest} exists and is not a folder; move it away or pass --dest <folder>`);
  }
  if (exists) {
    const match = await compareFolder(dest, entry);
    if (match.same) return { status: 'already-installed', dest, files: entry.files.length, bytes: entry.size };
    if (!force) {
      throw new ModelsCliError(
        `${dest} already exists and is not the published ${name} (${match.reason}); ` +
          'pass --force to replace it, or --dest <folder> to install elsewhere',
      );
    }
  }

  await mkdir(dirname(dest), { recursive: true });
  const tmp = tempSibling(dest, 'fetch');
  await mkdir(tmp);
  try {
    log(
      `fetching ${name} (${entry.files.length} files, ${(entry.size / 1e6).toFixed(1)} MB) from ${describeSource(source)}`,
    );
    for (const f of entry.files) {
      const got = await copyReleaseFile(source, entry.release, f.name, join(tmp, f.name));
      if (got.sha256 !== f.sha256 || got.size !== f.size) {
        throw new ModelsCliError(
          `${got.location} does not match models/MANIFEST.json (sha256 ${got.sha256}, ${got.size} bytes; ` +
            `expected ${f.sha256}, ${f.size} bytes): the download is damaged or the release was changed ` +
            'after the manifest was written; nothing was installed',
        );
      }
      log(`  ${f.name} ok`);
    }
    // The server checks SHA256SUMS before serving a folder: check it the same way now.
    if (existsSync(join(tmp, HASHES_FILE))) {
      try {
        await verifyModelHashes(tmp);
      } catch (err) {
        throw new ModelsCliError(`the release of ${name} fails its own ${HASHES_FILE}: ${(err as Error).message}`);
      }
    }
    if (exists) {
      const old = tempSibling(dest, 'old');
      await rename(dest, old);
      try {
        await rename(tmp, dest);
      } catch (err) {
        await rename(old, dest); // put the previous folder back rather than leave none
        throw err;
      }
      await rm(old, { recursive: true, force: true });
      return { status: 'replaced', dest, files: entry.files.length, bytes: entry.size };
    }
    try {
      await rename(tmp, dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new ModelsCliError(
          `${dest} appeared while downloading; nothing was replaced (run again, with --force to replace it)`,
        );
      }
      throw err;
    }
    return { status: 'installed', dest, files: entry.files.length, bytes: entry.size };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
