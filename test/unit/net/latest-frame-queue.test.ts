import { describe, expect, it } from 'vitest';
import { LatestFrameQueue } from '../../../server/net/latest-frame-queue.ts';

/** An engine whose predictions resolve only when the test says so. */
function controllableEngine() {
  const calls: { frames: Uint8Array[]; resolve: (out: Float32Array[]) => void; reject: (e: Error) => void }[] = [];
  const predict = (frames: Uint8Array[]) =>
    new Promise<Float32Array[]>((resolve, reject) => calls.push({ frames, resolve, reject }));
  const answer = (i: number) => {
    const c = calls[i];
    if (!c) throw new Error(`no call ${i}`);
    c.resolve(c.frames.map((f) => Float32Array.of(f[0] ?? 0)));
  };
  return { calls, predict, answer };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const frame = (v: number) => new Uint8Array(4).fill(v);

describe('LatestFrameQueue', () => {
  it('batches frames of different players and keeps only the newest pending frame per player', async () => {
    const engine = controllableEngine();
    const results: [string, number, number][] = [];
    const stale: [string, number][] = [];
    const q = new LatestFrameQueue<number>(
      engine.predict,
      {
        result: (key, job, p) => results.push([key, job, p[0] as number]),
        stale: (key, job) => stale.push([key, job]),
        failed: () => {},
      },
      { maxBatch: 8, maxInFlight: 1, now: () => 0 },
    );
    q.push('a', frame(1), 1);
    q.push('b', frame(2), 2);
    await tick();
    expect(engine.calls).toHaveLength(1);
    expect(engine.calls[0]?.frames).toHaveLength(2);
    // Inference is busy: a floods frames, only the newest one waits.
    for (let i = 10; i < 20; i++) q.push('a', frame(i), i);
    q.push('b', frame(30), 30);
    expect(q.pendingCount).toBe(2);
    expect(stale).toHaveLength(9);
    engine.answer(0);
    await tick();
    expect(results).toEqual([
      ['a', 1, 1],
      ['b', 2, 2],
    ]);
    expect(engine.calls).toHaveLength(2);
    expect(engine.calls[1]?.frames.map((f) => f[0])).toEqual([19, 30]);
    engine.answer(1);
    await tick();
    expect(results.slice(2)).toEqual([
      ['a', 19, 19],
      ['b', 30, 30],
    ]);
    expect(q.pendingCount).toBe(0);
  });

  it('splits into batches of at most maxBatch and reports engine failures per frame', async () => {
    const engine = controllableEngine();
    const failed: string[] = [];
    const q = new LatestFrameQueue<number>(
      engine.predict,
      { result: () => {}, stale: () => {}, failed: (key) => failed.push(key) },
      { maxBatch: 2, maxInFlight: 4, now: () => 0 },
    );
    for (let i = 0; i < 5; i++) q.push(`p${i}`, frame(i), i);
    await tick();
    expect(engine.calls.map((c) => c.frames.length)).toEqual([2, 2, 1]);
    engine.calls[0]?.reject(new Error('worker died'));
    await tick();
    expect(failed).toEqual(['p0', 'p1']);
  });

  describe('gathering a short batch (gatherMs, minBatch)', () => {
    /** A fake clock with cancellable timers. */
    function fakeTimers() {
      let now = 0;
      const timers: { fn: () => void; due: number; live: boolean }[] = [];
      return {
        now: () => now,
        setTimer: (fn: () => void, ms: number) => {
          const t = { fn, due: now + ms, live: true };
          timers.push(t);
          return {
            cancel: () => {
              t.live = false;
            },
          };
        },
        advance(ms: number) {
          now += ms;
          for (const t of timers) {
            if (!t.live || t.due > now) continue;
            t.live = false;
            t.fn();
          }
        },
        live: () => timers.filter((t) => t.live).length,
      };
    }
    const make = (clock: ReturnType<typeof fakeTimers>, engine: ReturnType<typeof controllableEngine>) =>
      new LatestFrameQueue<number>(
        engine.predict,
        { result: () => {}, stale: () => {}, failed: () => {} },
        { maxBatch: 8, maxInFlight: 2, now: clock.now, gatherMs: 5, minBatch: 4, setTimer: clock.setTimer },
      );

    it('a short batch waits until its oldest frame is gatherMs old, then goes as it is', async () => {
      const clock = fakeTimers();
      const engine = controllableEngine();
      const q = make(clock, engine);
      q.push('a', frame(1), 1);
      clock.advance(2);
      q.push('b', frame(2), 2);
      await tick();
      expect(engine.calls).toHaveLength(0);
      clock.advance(2);
      await tick();
      expect(engine.calls).toHaveLength(0);
      clock.advance(1); // a is 5 ms old
      await tick();
      expect(engine.calls.map((c) => c.frames.map((f) => f[0]))).toEqual([[1, 2]]);
    });

    it('goes at once when minBatch frames are waiting, also in the middle of a wait', async () => {
      const clock = fakeTimers();
      const engine = controllableEngine();
      const q = make(clock, engine);
      q.push('a', frame(1), 1);
      q.push('b', frame(2), 2);
      q.push('c', frame(3), 3);
      await tick();
      expect(engine.calls).toHaveLength(0);
      q.push('d', frame(4), 4);
      await tick();
      expect(engine.calls.map((c) => c.frames.length)).toEqual([4]);
      expect(clock.live()).toBe(0);
      // Nothing dispatched twice when the cancelled wait would have ended.
      clock.advance(10);
      await tick();
      expect(engine.calls).toHaveLength(1);
    });

    it('a frame replaced by a newer one of the same player does not make the batch wait longer than its first frame', async () => {
      const clock = fakeTimers();
      const engine = controllableEngine();
      const q = make(clock, engine);
      q.push('a', frame(1), 1);
      clock.advance(3);
      q.push('b', frame(2), 2);
      q.push('a', frame(9), 9); // a's newer frame; b is now the oldest key, queued at 3 ms
      clock.advance(2); // 5 ms after a's first frame: the wait set then ends
      await tick();
      expect(engine.calls.map((c) => c.frames.map((f) => f[0]))).toEqual([[2, 9]]);
    });

    it('close() cancels a running wait: nothing is predicted after close', async () => {
      const clock = fakeTimers();
      const engine = controllableEngine();
      const q = make(clock, engine);
      q.push('a', frame(1), 1);
      q.close();
      clock.advance(10);
      await tick();
      expect(engine.calls).toHaveLength(0);
      expect(clock.live()).toBe(0);
    });
  });
});
