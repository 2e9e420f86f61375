/**
 * A model folder's SHA256SUMS: the sha256 of every file the server may load from it, written
 * when the model is published, checked before it is served. A damaged or half-replaced file
 * (4 KB overwritten inside model.int8.onnx shifted predictions without any error) is refused
 * instead of served. The format is `sha256sum`'s, so `sha256sum -c SHA256SUMS` checks a folder too.
 *
 * Every regular file counts except documentation (*.md, *.svg), dotfiles and the list itself,
 * so a file added to the folder later (e.g. calibration.json) is refused until it is listed:
 * `npm run model-hashes -- <folder>` rewrites the list after an intended change.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/write-file-atomic.ts';
import { HASHES_FILE, ModelFolderError } from './files.ts';

function isHashed(name: string): boolean {
  return name !== HASHES_FILE && !name.startsWith('.') && !/\.(md|svg)$/i.test(name);
}

/** The files of `dir` the list covers, sorted. */
export async function hashedFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isHashed(e.name))
    .map((e) => e.name)
    .sort();
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Writes SHA256SUMS for every file the list covers (atomically). Returns the names hashed. */
export async function writeModelHashes(dir: string): Promise<string[]> {
  const names = await hashedFiles(dir);
  const lines: string[] = [];
  for (const name of names) lines.push(`${await sha256File(join(dir, name))}  ${name}`);
  await writeFileAtomic(join(dir, HASHES_FILE), `${lines.join('\n')}\n`);
  return names;
}

/** Parses SHA256SUMS text (pure): name → hex digest. */
export function parseHashes(text: string, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m || m[2]?.includes('/'))
      throw new ModelFolderError(dir, `${HASHES_FILE} line ${i + 1} is not "<sha256>  <file>"`);
    out.set(m[2] as string, m[1] as string);
  }
  return out;
}

export type HashCheck = { verified: true; files: string[] } | { verified: false; reason: string };

/**
 * Checks every covered file against SHA256SUMS. Throws ModelFolderError on a mismatch, a listed
 * file that is missing, or a covered file that is not listed. A folder without SHA256SUMS (made
 * before hashes existed, or by hand) is not verified: the caller says so.
 */
export async function verifyModelHashes(dir: string): Promise<HashCheck> {
  const listFile = join(dir, HASHES_FILE);
  if (!existsSync(listFile)) return { verified: false, reason: `${HASHES_FILE} is missing` };
  const expected = parseHashes(await readFile(listFile, 'utf8'), dir);
  const fix = `if the change is intended, run: npm run model-hashes -- ${dir}`;
  for (const [name, digest] of expected) {
    const file = join(dir, name);
    if (!existsSync(file)) throw new ModelFolderError(dir, `${name} is listed in ${HASHES_FILE} but missing`);
    if ((await sha256File(file)) !== digest) {
      throw new ModelFolderError(
        dir,
        `${name} does not match its sha256 in ${HASHES_FILE}: the file is damaged or was changed after publishing (${fix})`,
      );
    }
  }
  const unlisted = (await hashedFiles(dir)).filter((n) => !expected.has(n));
  if (unlisted.length > 0) {
    throw new ModelFolderError(dir, `${unlisted.join(', ')} not listed in ${HASHES_FILE}, so not verifiable (${fix})`);
  }
  return { verified: true, files: [...expected.keys()] };
}
