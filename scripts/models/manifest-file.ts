/** Reads and writes models/MANIFEST.json; every write is validated first and lands by rename. */
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatManifest, type Manifest, ManifestError, parseManifest } from './manifest.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const MODELS_DIR = resolve(REPO_ROOT, 'models');
export const DEFAULT_MANIFEST = resolve(MODELS_DIR, 'MANIFEST.json');

export async function readManifest(file: string): Promise<Manifest> {
  if (!existsSync(file)) throw new ManifestError(file, 'the file does not exist');
  return parseManifest(await readFile(file, 'utf8'), file);
}

export async function writeManifest(file: string, manifest: Manifest): Promise<void> {
  const text = formatManifest(manifest);
  parseManifest(text, file); // never write a manifest that the next read would refuse
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
