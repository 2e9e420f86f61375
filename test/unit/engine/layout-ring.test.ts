import { describe, expect, it } from 'vitest';
import { frameLayout } from '../../../server/game/liveness-features.ts';
import { FrameLane, replayMeasure } from '../../../server/ml/engine/frame-lane.ts';
import { LayoutRing } from '../../../server/ml/engine/layout-ring.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';

const CELLS = 144;

describe('LayoutRing', () => {
  it('hands out slots in turn and names a view only while a worker cannot have overwritten it', () => {
    const ring = LayoutRing.create(8);
    const first = ring.allocate();
    expect(first).toHaveLength(CELLS);
    expect(ring.slotOf(first, 0)).toBe(0);
    for (let i = 0; i < 5; i++) ring.allocate();
    // 6 handed out: with 2 more allowed in flight, slot 0 is reused by the 9th, not yet.
    expect(ring.slotOf(first, 2)).toBe(0);
    // With 3 in flight the 9th frame could be writing slot 0 while a worker reads it.
    expect(ring.slotOf(first, 3)).toBe(-1);
    expect(ring.overwritten(first, 3)).toBe(true);
    // Arrays of its own, or of another ring, are never named.
    expect(ring.slotOf(new Float32Array(CELLS), 0)).toBe(-1);
    expect(ring.overwritten(new Float32Array(CELLS), 0)).toBe(false);
    expect(LayoutRing.create(8).slotOf(first, 0)).toBe(-1);
  });

  it('is the same memory for the worker that opens it', () => {
    const ring = LayoutRing.create(4);
    ring.allocate();
    const view = ring.allocate();
    new LayoutRing(ring.init).cells(1).fill(7);
    expect(Array.from(view.slice(0, 3))).toEqual([7, 7, 7]);
  });
});

describe('FrameLane replay checks', () => {
  it('names ring layouts by slot, copies the others, and marks overwritten ones as never a copy', () => {
    const ring = LayoutRing.create(5);
    const main = FrameLane.create(1, 2, 3);
    const worker = new FrameLane(main.init);
    const stale = ring.allocate();
    for (let i = 0; i < 3; i++) ring.allocate();
    const inRing = ring.allocate();
    inRing.fill(1);
    const own = { cells: new Float32Array(CELLS).fill(2), textured: false };
    const out = ring.allocate(); // `stale`'s slot, handed out again
    expect(out.uid % 5).toBe(stale.uid % 5);
    expect(
      main.writeReplay(
        0,
        0,
        out.uid % 5,
        [{ cells: inRing, textured: true }, own, { cells: stale, textured: true }],
        ring,
        0,
      ),
    ).toBe(true);
    // A window longer than the lane carries goes without a check.
    expect(main.writeReplay(0, 1, 0, [own, own, own, own], ring, 0)).toBe(false);
    main.submit(2);

    const jobs = worker.replayJobs(0, new LayoutRing(ring.init));
    expect(jobs[1]).toBeUndefined();
    const job = jobs[0];
    expect(job?.earlier.map((e) => [e.cells[0], e.textured])).toEqual([
      [1, true],
      [2, false],
      [Number.NaN, true],
    ]);
    job?.distances.set([0.5, 0.25, Number.NaN]);
    job?.cells.fill(9);
    worker.setReplayTextured(0, 0, true);
    worker.complete(0, { probs: new Float32Array(2 * 7) });

    const answers = main.replayAnswers(0);
    const m = replayMeasure(answers, 0, out);
    expect(m?.textured).toBe(true);
    expect(Array.from(m?.distances ?? [])).toEqual([0.5, 0.25, Number.NaN]);
    expect(m?.cells[0]).toBe(9);
    expect(replayMeasure(answers, 1, ring.allocate())).toBeUndefined();
  });

  it('a lane without a replay area carries no checks', () => {
    const lane = FrameLane.create(1, 1);
    const ring = LayoutRing.create(2);
    const layout = frameLayout(new Uint8Array(FRAME_BYTES).fill(3));
    expect(lane.writeReplay(0, 0, 0, [layout], ring, 0)).toBe(false);
    expect(lane.writeReplay(0, 0, 0, [], ring, 0)).toBe(false);
  });
});
