/**
 * node --import tsx bench/bench-wake.ts [post|async|sync] [N]
 *
 * The bare cost, on the main thread, of waking an inference worker and hearing back, N round
 * trips: `post` = postMessage both ways with a 4-frame buffer (the pool before shared memory);
 * `async` = a shared counter + Atomics.notify, the worker waiting in Atomics.waitAsync;
 * `sync` = the same with the worker blocked in Atomics.wait (what engine-worker.ts does).
 * The main thread always waits with Atomics.waitAsync (or a 'message' event for `post`).
 * Prints main-thread CPU per round trip (from /proc, so other processes do not count) and wall time.
 */
import { Worker } from 'node:worker_threads';
import { mainThreadCpuMs } from './bench-handoff.ts';

type Mode = 'post' | 'async' | 'sync';
type WaitResult = { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): WaitResult }).waitAsync;

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const ctrl = new Int32Array(workerData.sab);
parentPort.on('message', (m) => { if (workerData.mode === 'post') parentPort.postMessage(m); });
if (workerData.mode !== 'post') (async () => {
  let seen = 0;
  for (;;) {
    if (workerData.mode === 'async') { const r = Atomics.waitAsync(ctrl, 0, seen); if (r.async) await r.value; }
    else Atomics.wait(ctrl, 0, seen);
    seen = Atomics.load(ctrl, 0);
    Atomics.store(ctrl, 1, seen);
    Atomics.notify(ctrl, 1);
    await null;
  }
})();`;

export async function roundTrips(mode: Mode, n: number): Promise<{ cpuUs: number; wallUs: number }> {
  const sab = new SharedArrayBuffer(16);
  const ctrl = new Int32Array(sab);
  const w = new Worker(WORKER, { eval: true, workerData: { sab, mode } });
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  const c0 = mainThreadCpuMs() ?? 0;
  for (let i = 1; i <= n; i++) {
    if (mode === 'post') {
      const pixels = new Uint8Array(4 * 2304);
      await new Promise((r) => {
        w.once('message', r);
        w.postMessage({ type: 'predict', id: i, pixels }, [pixels.buffer]);
      });
    } else {
      Atomics.store(ctrl, 0, i);
      Atomics.notify(ctrl, 0);
      const r = waitAsync(ctrl, 1, i - 1);
      if (r.async) await r.value;
    }
  }
  const cpuUs = (((mainThreadCpuMs() ?? 0) - c0) * 1000) / n;
  const wallUs = ((performance.now() - t0) * 1000) / n;
  await w.terminate();
  return { cpuUs, wallUs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const modes: Mode[] = process.argv[2] ? [process.argv[2] as Mode] : ['post', 'async', 'sync'];
  const n = Number(process.argv[3] ?? 20_000);
  for (const m of modes) {
    const r = await roundTrips(m, n);
    process.stdout.write(
      `${m.padEnd(6)} ${n} round trips: main-thread cpu ${r.cpuUs.toFixed(1)} µs, wall ${r.wallUs.toFixed(1)} µs each\n`,
    );
  }
}
