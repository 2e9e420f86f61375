/** Compares a model folder on disk with a manifest entry (is it already the published model?). */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../../server/ml/model-folder/hashes.ts';
import type { ManifestEntry } from './manifest.ts';

export type FolderMatch = { same: true } | { same: false; reason: string };

/** Same = exactly the entry's files (dotfiles aside), each with the listed sha256. */
export async function compareFolder(dir: string, entry: ManifestEntry): Promise<FolderMatch> {
  const present = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => !d.name.startsWith('.'))
    .map((d) => d.name);
  const listed = new Set(entry.files.map((f) => f.name));
  const extra = present.filter((n) => !listed.has(n));
  if (extra.length > 0) return { same: false, reason: `it has files the release does not: ${extra.join(', ')}` };
  for (const f of entry.files) {
    const file = join(dir, f.name);
    if (!existsSync(file)) return { same: false, reason: `${f.name} is missing` };
    if ((await sha256File(file)) !== f.sha256) return { same: false, reason: `${f.name} differs from the release` };
  }
  return { same: true };
}
