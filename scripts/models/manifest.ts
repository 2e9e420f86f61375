/**
 * models/MANIFEST.json: the models that are not in the clone (the distillation chain, the seed
 * models, earlier served models), each with its metrics, the sha256 of every file and where its
 * files are published. Pure: parsing, validation and URL rules; reading and writing live in
 * manifest-file.ts.
 *
 * Schema (version 1):
 *
 *   {
 *     "schema": 1,
 *     "baseUrl": "https://github.com/<owner>/emotion-arena/releases/download",
 *     "models": [{
 *       "name": "vgg16-pt-kd2",            // folder name under models/ once fetched
 *       "description": "…",
 *       "architecture": "vgg16",
 *       "parent": "vgg16-pt-kd1" | null,   // the model it was warm-started from (distillation chain)
 *       "teacher": "vgg16-pt-kd1" | null,  // the model whose predictions it was distilled from
 *       "metrics": { … },                  // summary of its metrics.json (ModelMetricsSummary)
 *       "release": "models-vgg16-pt-kd2",  // release tag: files are at <baseUrl>/<release>/<file>
 *       "size": 2702583,                   // bytes, all files
 *       "files": [{ "name": "model.json", "size": 12986, "sha256": "…" }, …]
 *     }, …]
 *   }
 *
 * `baseUrl` is the one place a maintainer sets where releases live; while it still holds the
 * `<owner>` placeholder, fetching over the network is refused with a message that says so.
 */
import { z } from 'zod';

export const MANIFEST_SCHEMA_VERSION = 1;
/** Marks a baseUrl that no maintainer has set yet. */
export const BASE_URL_PLACEHOLDER = '<owner>';

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
// A file name inside a model folder: no path separators, no dotfiles, nothing that escapes the folder.
const FILE_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

const accuracy = z.number().min(0).max(1);
const usageAccuracies = z.object({ PublicTest: accuracy.optional(), PrivateTest: accuracy.optional() }).strict();

const metricsSchema = z
  .object({
    params: z.number().int().positive().optional(),
    flopsPerImage: z.number().int().positive().optional(),
    epochs: z.number().int().positive().optional(),
    /** FER2013 accuracy at training time (one pass, fp32), from metrics.json `evaluation`. */
    fer2013: usageAccuracies.optional(),
    /** Same, with flip test-time augmentation. */
    fer2013FlipTta: usageAccuracies.optional(),
    /** As served (npm run evaluate --record), by label set: fer, ferplus, ferNetwork, ferplusNetwork. */
    asServed: z.record(z.string(), usageAccuracies).optional(),
  })
  .strict();

const fileSchema = z
  .object({
    name: z.string().regex(FILE_RE, 'must be a plain file name (no "/", no leading dot)'),
    size: z.number().int().nonnegative(),
    sha256: z.string().regex(SHA256_RE, 'must be 64 lowercase hex digits'),
  })
  .strict();

const entrySchema = z
  .object({
    name: z.string().regex(NAME_RE, 'must be lowercase letters, digits, ".", "_" or "-"'),
    description: z.string().min(1),
    architecture: z.string().min(1),
    parent: z.string().nullable(),
    teacher: z.string().nullable(),
    metrics: metricsSchema,
    release: z.string().regex(NAME_RE, 'must be a release tag of lowercase letters, digits, ".", "_" or "-"'),
    size: z.number().int().nonnegative(),
    files: z.array(fileSchema).min(1),
  })
  .strict();

const manifestSchema = z
  .object({
    schema: z.literal(MANIFEST_SCHEMA_VERSION),
    baseUrl: z.string().regex(/^https?:\/\//, 'must be an http(s) URL'),
    models: z.array(entrySchema),
  })
  .strict();

export type ModelMetricsSummary = z.infer<typeof metricsSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;
export type ManifestEntry = z.infer<typeof entrySchema>;
export type Manifest = z.infer<typeof manifestSchema>;

export class ManifestError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source} is invalid: ${message}`);
    this.name = 'ManifestError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Cross-field rules the schema cannot say: unique names, consistent sizes, known parents. */
function checkConsistency(m: Manifest): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [i, e] of m.models.entries()) {
    const at = `models[${i}] (${e.name})`;
    if (names.has(e.name)) problems.push(`${at}: the name is listed twice`);
    names.add(e.name);
    const files = new Set<string>();
    for (const f of e.files) {
      if (files.has(f.name)) problems.push(`${at}: file ${f.name} is listed twice`);
      files.add(f.name);
    }
    const total = e.files.reduce((s, f) => s + f.size, 0);
    if (total !== e.size) problems.push(`${at}: size is ${e.size} but its files add up to ${total}`);
  }
  for (const [i, e] of m.models.entries()) {
    for (const key of ['parent', 'teacher'] as const) {
      const ref = e[key];
      if (ref !== null && !names.has(ref)) {
        problems.push(`models[${i}] (${e.name}): ${key} "${ref}" is not a model in the manifest`);
      }
    }
  }
  return problems;
}

/** Parses and validates manifest text; throws ManifestError naming the field and the problem. */
export function parseManifest(text: string, source = 'models/MANIFEST.json'): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(source, `not valid JSON (${(err as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${formatPath(i.path) || '(top level)'}: ${i.message}`);
    throw new ManifestError(source, lines.join('; '));
  }
  const problems = checkConsistency(parsed.data);
  if (problems.length > 0) throw new ManifestError(source, problems.join('; '));
  return parsed.data;
}

/** Canonical text: two-space JSON, models sorted by name, so diffs stay small. */
export function formatManifest(m: Manifest): string {
  const models = [...m.models].sort((a, b) => a.name.localeCompare(b.name));
  return `${JSON.stringify({ ...m, models }, null, 2)}\n`;
}

export function findEntry(m: Manifest, name: string): ManifestEntry | undefined {
  return m.models.find((e) => e.name === name);
}

/** Adds `entry`, or replaces the entry of the same name. */
export function upsertEntry(m: Manifest, entry: ManifestEntry): Manifest {
  return { ...m, models: [...m.models.filter((e) => e.name !== entry.name), entry] };
}

export function emptyManifest(baseUrl: string): Manifest {
  return { schema: MANIFEST_SCHEMA_VERSION, baseUrl, models: [] };
}

export function isValidModelName(name: string): boolean {
  return NAME_RE.test(name);
}

export function releaseTag(name: string): string {
  return `models-${name}`;
}
