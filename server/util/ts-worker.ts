/**
 * Starts a worker thread on a TypeScript file. `new Worker(tsUrl, { execArgv:
 * ['--import', 'tsx'] })` fails on Node 20 ("Unknown file extension .ts"), so we
 * start a tiny .mjs bootstrap that imports the entry through tsx's API. Works
 * the same under `node --import tsx`, vitest and plain node.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOT = new URL('./ts-worker-boot.mjs', import.meta.url);

export function startTsWorker(entry: URL, options: Omit<WorkerOptions, 'argv'> = {}): Worker {
  return new Worker(BOOT, { ...options, argv: [entry.href] });
}
