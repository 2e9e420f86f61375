/**
 * `models:pack`: turns a model folder into release files (<out>/<release tag>/<file>, ready to
 * upload as one GitHub release's assets) and the manifest entry that describes them. A folder
 * published before SHA256SUMS existed gets one in the release copy, so a fetched model is
 * verified by the server like the committed one; a folder whose SHA256SUMS fails is refused.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HASHES_FILE } from '../../server/ml/model-folder/files.ts';
import { sha256File, verifyModelHashes, writeModelHashes } from '../../server/ml/model-folder/hashes.ts';
import {
  findEntry,
  type Manifest,
  type ManifestEntry,
  type ManifestFile,
  releaseTag,
  upsertEntry,
} from './manifest.ts';
import { lineage, summariseMetrics } from './metrics-summary.ts';
import { ModelsCliError } from './source.ts';

export interface PackOptions {
  manifest: Manifest;
  name: string;
  /** The model folder to publish. */
  dir: string;
  /** Release files go to <outRoot>/<release tag>/. */
  outRoot: string;
  /** Required for a model the manifest does not list yet; otherwise keeps the listed one. */
  description?: string;
}

export interface PackResult {
  manifest: Manifest;
  entry: ManifestEntry;
  outDir: string;
}

async function readMetrics(dir: string): Promise<unknown> {
  const file = join(dir, 'metrics.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ModelsCliError(`${file} is not valid JSON (${(err as Error).message})`);
  }
}

export async function packModel(opts: PackOptions): Promise<PackResult> {
  const { manifest, name, dir, outRoot } = opts;
  if (!existsSync(dir) || !(await stat(dir)).isDirectory()) throw new ModelsCliError(`${dir} is not a model folder`);
  const existing = findEntry(manifest, name);
  const description = opts.description ?? existing?.description;
  if (!description) {
    throw new ModelsCliError(`${name} is not in the manifest yet: pass --description "<what this model is>"`);
  }
  if (existsSync(join(dir, HASHES_FILE))) {
    try {
      await verifyModelHashes(dir);
    } catch (err) {
      throw new ModelsCliError(`refusing to publish a folder that fails its ${HASHES_FILE}: ${(err as Error).message}`);
    }
  }
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isFile() && !d.name.startsWith('.'))
    .map((d) => d.name);
  if (!names.includes('model.json')) throw new ModelsCliError(`${dir} has no model.json: not a model folder`);

  const release = releaseTag(name);
  const outDir = join(outRoot, release);
  const tmp = join(outRoot, `.${release}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    for (const n of names) await copyFile(join(dir, n), join(tmp, n));
    if (!names.includes(HASHES_FILE)) await writeModelHashes(tmp);
    const files: ManifestFile[] = [];
    for (const n of (await readdir(tmp)).sort()) {
      const file = join(tmp, n);
      files.push({ name: n, size: (await stat(file)).size, sha256: await sha256File(file) });
    }
    const metricsJson = await readMetrics(dir);
    const { parent, teacher, architecture } = lineage(metricsJson);
    const entry: ManifestEntry = {
      name,
      description,
      architecture,
      parent,
      teacher,
      metrics: summariseMetrics(metricsJson),
      release,
      size: files.reduce((s, f) => s + f.size, 0),
      files,
    };
    await rm(outDir, { recursive: true, force: true });
    await rename(tmp, outDir);
    return { manifest: upsertEntry(manifest, entry), entry, outDir };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
