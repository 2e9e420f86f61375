/**
 * Model release tools (docs/training.md, "Model history and downloads"):
 *
 *   npm run models:list
 *   npm run models:fetch -- NAME [--from <url|file://|folder>] [--force] [--dest <folder>]
 *   npm run models:pack  -- NAME --out <folder> [--dir models/NAME] [--description "…"]
 *
 * Both read models/MANIFEST.json (--manifest overrides it); pack also rewrites its entry.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fetchModel, unknownModelMessage } from './fetch-model.ts';
import { findEntry, isValidModelName, ManifestError } from './manifest.ts';
import { DEFAULT_MANIFEST, MODELS_DIR, readManifest, writeManifest } from './manifest-file.ts';
import { packModel } from './pack-model.ts';
import { ModelsCliError, resolveSource } from './source.ts';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
}

const USAGE = [
  'usage: models <command> …',
  '  list                                   models in models/MANIFEST.json',
  '  fetch NAME [--from <url|file://|folder>] [--force] [--dest <folder>]',
  '  pack NAME --out <folder> [--dir <model folder>] [--description "…"]',
  'common: --manifest <file> (default models/MANIFEST.json)',
].join('\n');

/** Runs node:util parseArgs, turning its errors (unknown flag, missing value) into usage errors. */
function parsing<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new ModelsCliError(`${(err as Error).message}\n${USAGE}`);
  }
}

const MANIFEST_OPTION = { manifest: { type: 'string' } } as const;

function oneName(positionals: string[], command: string): string {
  if (positionals.length !== 1) {
    throw new ModelsCliError(
      `${command} takes exactly one model name (got ${positionals.length === 0 ? 'none' : positionals.join(' ')})\n${USAGE}`,
    );
  }
  const name = positionals[0] as string;
  if (!isValidModelName(name)) {
    throw new ModelsCliError(`"${name}" is not a model name (lowercase letters, digits, ".", "_", "-")`);
  }
  return name;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function pct(v: number | undefined): string {
  return v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
}

async function list(argv: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parsing(() =>
    parseArgs({ args: argv, options: MANIFEST_OPTION, allowPositionals: true }),
  );
  if (positionals.length > 0) throw new ModelsCliError(`list takes no arguments\n${USAGE}`);
  const manifest = await readManifest(resolve(values.manifest ?? DEFAULT_MANIFEST));
  io.out('name | architecture | parent | PublicTest | PrivateTest | size');
  for (const e of manifest.models) {
    const m = e.metrics.fer2013;
    io.out(
      `${e.name} | ${e.architecture} | ${e.parent ?? '–'} | ${pct(m?.PublicTest)} | ${pct(m?.PrivateTest)} | ${mb(e.size)}`,
    );
  }
}

async function fetchCommand(argv: string[], io: CliIo): Promise<void> {
  const options = {
    ...MANIFEST_OPTION,
    from: { type: 'string' },
    force: { type: 'boolean' },
    dest: { type: 'string' },
  } as const;
  const { values, positionals } = parsing(() => parseArgs({ args: argv, options, allowPositionals: true }));
  const name = oneName(positionals, 'fetch');
  const manifest = await readManifest(resolve(values.manifest ?? DEFAULT_MANIFEST));
  if (!findEntry(manifest, name)) throw new ModelsCliError(unknownModelMessage(manifest, name));
  const source = resolveSource(values.from, io.env.MODELS_BASE_URL, manifest.baseUrl);
  const dest = resolve(values.dest ?? resolve(MODELS_DIR, name));
  const r = await fetchModel({ manifest, name, source, dest, force: values.force === true, log: io.out });
  const what = { installed: 'installed', replaced: 'replaced', 'already-installed': 'already installed and verified' };
  io.out(`${name}: ${what[r.status]} in ${r.dest} (${r.files} files, ${mb(r.bytes)}, sha256 checked)`);
}

async function packCommand(argv: string[], io: CliIo): Promise<void> {
  const options = {
    ...MANIFEST_OPTION,
    out: { type: 'string' },
    dir: { type: 'string' },
    description: { type: 'string' },
  } as const;
  const { values, positionals } = parsing(() => parseArgs({ args: argv, options, allowPositionals: true }));
  const name = oneName(positionals, 'pack');
  if (!values.out) throw new ModelsCliError(`pack needs --out <folder> for the release files\n${USAGE}`);
  const manifestFile = resolve(values.manifest ?? DEFAULT_MANIFEST);
  const manifest = await readManifest(manifestFile);
  const r = await packModel({
    manifest,
    name,
    dir: resolve(values.dir ?? resolve(MODELS_DIR, name)),
    outRoot: resolve(values.out),
    description: values.description,
  });
  await writeManifest(manifestFile, r.manifest);
  io.out(
    `${name}: ${r.entry.files.length} files (${mb(r.entry.size)}) in ${r.outDir}; ${manifestFile} updated.\n` +
      `Publish: a GitHub release tagged ${r.entry.release} with every file of ${r.outDir} as an asset.`,
  );
}

/** Runs one command; returns the exit status. Operator mistakes print one message, no stack. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'list') await list(rest, io);
    else if (command === 'fetch') await fetchCommand(rest, io);
    else if (command === 'pack') await packCommand(rest, io);
    else throw new ModelsCliError(`${command ? `unknown command "${command}"` : 'no command'}\n${USAGE}`);
    return 0;
  } catch (err) {
    if (err instanceof ModelsCliError || err instanceof ManifestError) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const code = await main(process.argv.slice(2), {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
    env: process.env,
  });
  process.exitCode = code;
}
