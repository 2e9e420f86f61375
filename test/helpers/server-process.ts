/** Runs the real `server/main.ts` in a child process, for tests of what an operator sees at start. */
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../training/data/dataset.ts';

export interface ServerRun {
  code: number | null;
  output: string;
}

/** Starts the server with `env` on top of a quiet default and waits for it to exit (kills it after `limitMs`). */
export function startServerProcess(env: Record<string, string>, limitMs = 60_000): Promise<ServerRun> {
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
