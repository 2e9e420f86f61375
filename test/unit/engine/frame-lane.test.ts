import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ERROR_BYTES, FrameLane } from '../../../server/ml/engine/frame-lane.ts';
import { EMOTION_COUNT } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';

const probsFor = (n: number, base: number): Float32Array =>
  Float32Array.from({ length: n * EMOTION_COUNT }, (_, i) => base + i);

describe('FrameLane', () => {
  it('carries frames in and probabilities out through its slots, in order', () => {
    const main = FrameLane.create(2, 4);
    const worker = new FrameLane(main.init); // the same memory, as a worker opens it
    for (let seq = 0; seq < 5; seq++) {
      const dst = main.framesOf(seq);
      dst.fill(seq + 1, 0, 3 * FRAME_BYTES);
      expect(main.submit(3)).toBe(seq);
      expect(worker.submitted()).toBe(seq + 1);
      const got = worker.batch(seq);
      expect(got.byteLength).toBe(3 * FRAME_BYTES);
      expect(got.every((b) => b === seq + 1)).toBe(true);
      worker.complete(seq, { probs: probsFor(3, seq * 100) });
      const answer = main.answer(seq);
      expect(answer.ok).toBe(true);
      if (answer.ok) expect(Array.from(answer.probs)).toEqual(Array.from(probsFor(3, seq * 100)));
      expect(main.inFlight()).toBe(0);
    }
  });

  it('refuses a batch when every slot is taken, and batches outside 1..maxBatch', () => {
    const lane = FrameLane.create(2, 4);
    lane.submit(1);
    lane.submit(4);
    expect(() => lane.submit(1)).toThrow(/lane is full/);
    new FrameLane(lane.init).complete(0, { probs: probsFor(1, 0) });
    expect(lane.inFlight()).toBe(1);
    expect(() => lane.submit(5)).toThrow(/1\.\.4/);
    expect(() => lane.submit(0)).toThrow(/1\.\.4/);
    expect(lane.submit(2)).toBe(2);
  });

  it('an answer is a copy: reusing the slot does not change it', () => {
    const lane = FrameLane.create(1, 1);
    lane.submit(1);
    lane.complete(0, { probs: probsFor(1, 7) });
    const first = lane.answer(0);
    lane.submit(1);
    lane.complete(1, { probs: probsFor(1, 50) });
    expect(first.ok && first.probs[0]).toBe(7);
  });

  it('carries errors, cut to ERROR_BYTES on a whole UTF-8 character; a wrong output count is an error', () => {
    const lane = FrameLane.create(2, 2);
    lane.submit(1);
    lane.complete(0, { error: `${'é'.repeat(ERROR_BYTES)}` });
    const a = lane.answer(0);
    expect(a.ok).toBe(false);
    if (!a.ok) {
      expect(Buffer.byteLength(a.message)).toBeLessThanOrEqual(ERROR_BYTES);
      expect(a.message).toMatch(/^é+$/);
    }
    lane.submit(2);
    lane.complete(1, { probs: probsFor(1, 0) });
    const b = lane.answer(1);
    expect(b.ok ? 'ok' : b.message).toMatch(/returned 1 outputs for 2 frames/);
  });

  it('wakes a waiting thread across threads (Atomics.waitAsync), and wake() releases a wait', async () => {
    const lane = FrameLane.create(2, 1);
    // A plain worker that waits for the batch and answers it, as engine-worker.ts does.
    const code = `
      const { workerData } = require('node:worker_threads');
      const ctrl = new Int32Array(workerData.buffer, 0, 4);
      Atomics.store(ctrl, 2, 1);
      Atomics.wait(ctrl, 0, 0);
      Atomics.store(ctrl, 2, 0);
      Atomics.store(ctrl, 1, 1);
      Atomics.notify(ctrl, 1);
    `;
    const w = new Worker(code, { eval: true, workerData: lane.init });
    // Submit only once the worker is blocked, so the wake-up path is what is tested.
    const flag = new Int32Array(lane.init.buffer, 0, 4);
    while (Atomics.load(flag, 2) !== 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    const done = lane.untilCompletedPast(0);
    lane.submit(1);
    await done;
    expect(lane.completed()).toBe(1);
    await w.terminate();
    const stuck = lane.untilCompletedPast(1);
    lane.wake();
    await expect(stuck).resolves.toBeUndefined();
  });

  it('waitSubmitted: false when the wait times out, true once a batch is there', () => {
    const lane = FrameLane.create(2, 1);
    expect(lane.waitSubmitted(0, 5)).toBe(false);
    lane.submit(1);
    expect(lane.waitSubmitted(0, 5)).toBe(true);
  });

  it('rejects a buffer that does not match its shape', () => {
    const lane = FrameLane.create(2, 3);
    expect(() => new FrameLane({ ...lane.init, maxBatch: 4 })).toThrow(/does not match/);
    expect(() => FrameLane.create(0, 3)).toThrow(RangeError);
  });
});
