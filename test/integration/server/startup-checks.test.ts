/**
 * What an operator sees when the server cannot start safely (issue 17, items 1 and 2): the
 * real `server/main.ts` is started with a bad DATA_DIR or a damaged leaderboard file and must
 * stop at once with a message naming the setting and the path, before it loads a model.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServerProcess } from '../../helpers/server-process.ts';

/** Starting `node --import tsx server/main.ts` takes seconds idle, and much longer on a busy machine. */
const SPAWN_TIMEOUT = 200_000;

/** A folder this process cannot write to, or null where the platform offers no way to make one. */
function unwritableFolder(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'arena-ro-'));
  try {
    if (process.getuid?.() === 0) execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    else chmodSync(dir, 0o555);
    writeFileSync(join(dir, 'probe'), 'x');
    return null; // still writable
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' || (err as NodeJS.ErrnoException).code === 'EACCES'
      ? dir
      : null;
  }
}

describe('DATA_DIR is checked before the model loads', () => {
  const base = mkdtempSync(join(tmpdir(), 'arena-datadir-'));
  const file = join(base, 'a-file');
  writeFileSync(file, 'not a folder');
  // A model folder that does not exist: if the server got as far as loading it, the message would be about the model.
  const noModel = { MODEL_DIR: join(base, 'no-model-here') };

  it.each([
    ['a path under a regular file', join(file, 'data'), /a-file is a file, not a folder/],
    ['a path under /proc (where recursive mkdir never returns)', '/proc/x', /\/proc filesystem/],
    ['a path under /proc, deeper', '/proc/x/y/z', /\/proc filesystem/],
  ])(
    '%s',
    async (_name, dataDir, reason) => {
      // A hang (Node's recursive mkdir on /proc) would be killed after the limit: code null, not 2.
      const run = await startServerProcess({ ...noModel, DATA_DIR: dataDir }, 150_000);
      expect(run.code).toBe(2);
      expect(run.output).toContain(`DATA_DIR: ${dataDir}`);
      expect(run.output).toMatch(reason);
      expect(run.output).not.toMatch(/model/i);
    },
    SPAWN_TIMEOUT,
  );

  it(
    'an unwritable folder',
    async (ctx) => {
      const dir = unwritableFolder();
      if (!dir) {
        console.warn('startup-checks: cannot make an unwritable folder here (no chattr/chmod effect); case skipped');
        ctx.skip();
        return;
      }
      try {
        const run = await startServerProcess({ ...noModel, DATA_DIR: dir });
        expect(run.code).toBe(2);
        expect(run.output).toContain(`DATA_DIR: ${dir}`);
        expect(run.output).toMatch(/is not writable \((EPERM|EACCES)\)/);
      } finally {
        if (process.getuid?.() === 0) execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
      }
    },
    SPAWN_TIMEOUT,
  );

  it(
    'creates a missing nested folder and goes on to load the model',
    async () => {
      const dataDir = join(base, 'new', 'nested', 'data');
      mkdirSync(join(base, 'new'));
      const run = await startServerProcess({ ...noModel, DATA_DIR: dataDir });
      expect(run.output).not.toContain('DATA_DIR');
      expect(run.output).toMatch(/cannot load the emotion model/);
      expect(run.code).toBe(1);
    },
    SPAWN_TIMEOUT,
  );
});
