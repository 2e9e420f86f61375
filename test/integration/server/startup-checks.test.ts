/**
 * What an operator sees when the server cannot start safely (issue 17, items 1 and 2): the
 * real `server/main.ts` is started with a bad DATA_DIR or a damaged leaderboard file and must
 * stop at once with a message naming the setting and the path, before it loads a model.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../server/ml/data/dataset.ts';

interface Run {
  code: number | null;
  output: string;
}

/** Starts the server with `env` on top of a quiet default and waits for it to exit (kills it after `limitMs`). */
export function startServerProcess(env: Record<string, string>, limitMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', MODEL_WATCH: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += String(d);
    });
    child.stderr.on('data', (d) => {
      output += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

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
  ])('%s', async (_name, dataDir, reason) => {
    const t0 = Date.now();
    const run = await startServerProcess({ ...noModel, DATA_DIR: dataDir });
    expect(run.code).toBe(2);
    expect(run.output).toContain(`DATA_DIR: ${dataDir}`);
    expect(run.output).toMatch(reason);
    expect(run.output).not.toMatch(/model/i);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('an unwritable folder', async (ctx) => {
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
  });

  it('creates a missing nested folder and goes on to load the model', async () => {
    const dataDir = join(base, 'new', 'nested', 'data');
    mkdirSync(join(base, 'new'));
    const run = await startServerProcess({ ...noModel, DATA_DIR: dataDir });
    expect(run.output).not.toContain('DATA_DIR');
    expect(run.output).toMatch(/cannot load the emotion model/);
    expect(run.code).toBe(1);
  });
});
