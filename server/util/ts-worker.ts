/**
 * Starts a worker thread from a TypeScript module. Node 20 does not pass the parent's
 * `--import tsx` loader to workers, so the worker first registers tsx, then imports
 * the module. When the module is plain .js (a build), it is started directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startTsWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const bootstrap = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); }).catch((e) => { console.error(e); process.exit(1); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
