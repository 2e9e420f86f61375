/**
 * Where a model's release files come from: the manifest's baseUrl (a GitHub release download
 * prefix), MODELS_BASE_URL, or `--from` (an http(s) URL, a file:// URL or a local folder laid out
 * like the release: <root>/<release tag>/<file>, which is what models:pack writes). Pure.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_URL_PLACEHOLDER } from './manifest.ts';

export type Source = { kind: 'http'; base: string } | { kind: 'dir'; root: string };

/** A problem the operator can fix; the CLI prints the message alone, without a stack. */
export class ModelsCliError extends Error {
  override name = 'ModelsCliError';
}

function httpSource(url: string): Source {
  return { kind: 'http', base: url.replace(/\/+$/, '') };
}

/**
 * `from` (the flag) wins over `envBase` (MODELS_BASE_URL), which wins over the manifest's baseUrl.
 * A baseUrl that still holds the placeholder owner is refused: nobody has published there.
 */
export function resolveSource(from: string | undefined, envBase: string | undefined, manifestBase: string): Source {
  if (from !== undefined) {
    if (from.trim() === '') throw new ModelsCliError('--from is empty: give an http(s) URL, a file:// URL or a folder');
    if (/^https?:\/\//i.test(from)) return httpSource(from);
    if (/^file:\/\//i.test(from)) return { kind: 'dir', root: fileURLToPath(from) };
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(from)) {
      throw new ModelsCliError(`--from ${from}: only http://, https://, file:// or a local folder are supported`);
    }
    return { kind: 'dir', root: resolve(from) };
  }
  if (envBase !== undefined && envBase.trim() !== '') {
    if (!/^https?:\/\//i.test(envBase)) throw new ModelsCliError(`MODELS_BASE_URL=${envBase} is not an http(s) URL`);
    return httpSource(envBase);
  }
  if (manifestBase.includes(BASE_URL_PLACEHOLDER)) {
    throw new ModelsCliError(
      `models/MANIFEST.json's baseUrl (${manifestBase}) has not been set to the project's release page yet; ` +
        'set it there (docs/training.md, "Publishing model files"), set MODELS_BASE_URL, or pass --from <url or folder>',
    );
  }
  return httpSource(manifestBase);
}

/** Where one file of a release is: a URL or a path. */
export function fileLocation(source: Source, release: string, file: string): string {
  if (source.kind === 'http') return `${source.base}/${encodeURIComponent(release)}/${encodeURIComponent(file)}`;
  return resolve(source.root, release, file);
}

export function describeSource(source: Source): string {
  return source.kind === 'http' ? source.base : source.root;
}
