/**
 * Checks DATA_DIR before anything else starts (the model takes seconds to load): the folder
 * must be a folder, creatable and writable. A bad value stops the server with a message that
 * names DATA_DIR and the path. Missing folders are created one level at a time, because Node's
 * recursive mkdirSync never returns on some paths (e.g. under /proc, where mkdir keeps failing
 * with ENOENT and it keeps retrying).
 */
import { mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { ConfigError } from './config.ts';

/** Kernel pseudo-filesystems: nothing written there is stored. */
const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev'];

function problem(raw: string, dir: string, what: string): ConfigError {
  return new ConfigError([`DATA_DIR: ${dir}${raw !== dir ? ` (from "${raw}")` : ''} ${what}`]);
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** Makes sure `dir` (absolute) is a writable folder, creating it if needed. Throws ConfigError otherwise. */
export function prepareDataDir(dir: string, raw: string = dir): void {
  // The deepest part of the path that exists already.
  let existing = dir;
  const missing: string[] = [];
  for (;;) {
    try {
      const st = statSync(existing);
      if (!st.isDirectory()) {
        throw problem(raw, dir, `cannot be created: ${existing} is a file, not a folder`);
      }
      break;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      if (code(err) !== 'ENOENT' && code(err) !== 'ENOTDIR') {
        throw problem(raw, dir, `cannot be checked: ${existing}: ${code(err)}`);
      }
      const parent = dirname(existing);
      if (parent === existing) throw problem(raw, dir, 'has no existing parent folder');
      missing.unshift(existing);
      existing = parent;
    }
  }
  const real = realpathSync(existing);
  const virtual = VIRTUAL_ROOTS.find((root) => real === root || real.startsWith(`${root}${sep}`));
  if (virtual) throw problem(raw, dir, `is on the kernel's ${virtual} filesystem, which cannot hold files`);
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (err) {
      throw problem(raw, dir, `cannot be created: mkdir ${folder}: ${code(err)}`);
    }
  }
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    writeFileSync(probe, 'ok');
    rmSync(probe, { force: true });
  } catch (err) {
    throw problem(raw, dir, `is not writable (${code(err)}); the leaderboard is stored there`);
  }
}
