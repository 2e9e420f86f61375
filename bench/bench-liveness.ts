/**
 * node --import tsx bench/bench-liveness.ts [--batches 200] [--batch 250] [--players 1]   (npm run bench:liveness)
 *
 * Main-thread cost of the per-frame liveness check (server/game/liveness.ts), which runs for
 * every frame every player sends: ReplayDetector.check on camera-like 48×48 frames at 5
 * frames/s, so every frame is compared with the 15 earlier frames of the 3 s window. Times the
 * reference implementation (test/helpers/liveness-reference.ts: the code before it was made
 * fast) against the current one in alternating batches of `--batch` frames, and prints µs per
 * frame of each (median and best batch), their ratio, and the parts: frameLayout per frame and
 * motion distance per pair of frames, each computed the way its check computes them.
 *
 * --players N gives each of N players a detector and lets them take turns, one frame each, as
 * on a busy node: every check then finds its window's cells out of cache.
 *
 * Wall-clock time. Batches are short (a few ms) so that on a busy machine some of them run
 * without being preempted: the best batch is the cost of the code, the median what this machine
 * gave it.
 */
import { parseArgs } from 'node:util';
import { ReplayDetector } from '../server/game/liveness.ts';
import { type FrameLayout, frameLayout, LAYOUT_GRID, motionDistances } from '../server/game/liveness-features.ts';
import { cameraLikeFrames, syntheticFace } from '../test/helpers/camera-like.ts';
import {
  type ReferenceLayout,
  ReferenceReplayDetector,
  referenceFrameLayout,
  referenceMotionDistance,
} from '../test/helpers/liveness-reference.ts';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '200' },
    batch: { type: 'string', default: '250' },
    players: { type: 'string', default: '1' },
  },
});
const batches = Number(values.batches);
const batchSize = Number(values.batch);
const players = Number(values.players);

const FRAME_INTERVAL_MS = 200;
const WINDOW = 15;
// 60 s of distinct live-looking frames: looping over them never repeats a frame inside the 3 s window.
const frames = cameraLikeFrames(syntheticFace(1), 300, { seed: 1 });
const frameAt = (i: number) => frames[i % frames.length] as Uint8Array;

interface Impl {
  name: string;
  /** One detector per player; players take turns, one frame each, as their frames reach the server. */
  detectors: { check(frame: Uint8Array, t: number): { replay: boolean } }[];
  /** Frames checked so far, all players together. */
  next: number;
  replays: number;
  /** µs per frame of frameLayout and per pair of motion distances, over `count` frames from frame `start`, the way check computes them. */
  partsBatch(start: number, count: number): { layoutUs: number; pairUs: number };
}

function reference(): Impl {
  return {
    name: 'reference (before)',
    detectors: Array.from({ length: players }, () => new ReferenceReplayDetector()),
    next: 0,
    replays: 0,
    partsBatch(start, count) {
      const layouts: ReferenceLayout[] = [];
      const t0 = performance.now();
      for (let i = 0; i < count + WINDOW; i++) layouts.push(referenceFrameLayout(frameAt(start + i)));
      const t1 = performance.now();
      let sink = 0;
      for (let i = WINDOW; i < count + WINDOW; i++) {
        for (let j = i - WINDOW; j < i; j++) {
          sink += referenceMotionDistance(layouts[i] as ReferenceLayout, layouts[j] as ReferenceLayout);
        }
      }
      const t2 = performance.now();
      if (Number.isNaN(sink)) throw new Error('NaN distance');
      return { layoutUs: ((t1 - t0) * 1000) / (count + WINDOW), pairUs: ((t2 - t1) * 1000) / (count * WINDOW) };
    },
  };
}

function current(): Impl {
  const out = new Float64Array(WINDOW);
  // As the detector does: cells from a frame that left the window, one basis for every frame.
  const scratch = { motionBasis: new Float64Array(3 * LAYOUT_GRID ** 2), gramInverse: new Float64Array(9) };
  const window: Float32Array[] = [];
  return {
    name: 'current',
    detectors: Array.from({ length: players }, () => new ReplayDetector()),
    next: 0,
    replays: 0,
    partsBatch(start, count) {
      const t0 = performance.now();
      for (let i = 0; i < count + WINDOW; i++) {
        const spare = window.length > WINDOW ? window.shift() : undefined;
        const into = { cells: spare, motionBasis: scratch.motionBasis, gramInverse: scratch.gramInverse };
        window.push(frameLayout(frameAt(start + i), LAYOUT_GRID, into).cells);
      }
      const t1 = performance.now();
      // Layouts with a motion model each, and each frame's window, made before the clock starts.
      const layouts = Array.from({ length: count + WINDOW }, (_, i) => frameLayout(frameAt(start + i)));
      const windows = layouts.map((_, i) => layouts.slice(Math.max(0, i - WINDOW), i));
      const t2 = performance.now();
      let sink = 0;
      for (let i = WINDOW; i < count + WINDOW; i++) {
        motionDistances(layouts[i] as FrameLayout, windows[i] as FrameLayout[], out);
        sink += out[0] as number;
      }
      const t3 = performance.now();
      if (Number.isNaN(sink)) throw new Error('NaN distance');
      return { layoutUs: ((t1 - t0) * 1000) / (count + WINDOW), pairUs: ((t3 - t2) * 1000) / (count * WINDOW) };
    },
  };
}

/** Checks frame number `g` of all players together: player g mod players, its own frame g div players. */
function checkOne(impl: Impl, g: number): boolean {
  const player = g % players;
  const n = (g - player) / players;
  const detector = impl.detectors[player] as Impl['detectors'][number];
  return detector.check(frameAt(n + 7 * player), n * FRAME_INTERVAL_MS).replay;
}

/** µs per frame of one batch of ReplayDetector.check, every window full. */
function checkBatch(impl: Impl, count: number): number {
  for (; impl.next < WINDOW * players; impl.next++) checkOne(impl, impl.next);
  const end = impl.next + count;
  const t0 = performance.now();
  for (; impl.next < end; impl.next++) if (checkOne(impl, impl.next)) impl.replays++;
  return ((performance.now() - t0) * 1000) / count;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const best = (xs: number[]) => Math.min(...xs);

const impls = [reference(), current()];
const checkUs = impls.map(() => [] as number[]);
const layoutUs = impls.map(() => [] as number[]);
const pairUs = impls.map(() => [] as number[]);
// Warm-up: both implementations reach optimised code before anything is kept.
for (const impl of impls) {
  for (let b = 0; b < 10; b++) checkBatch(impl, batchSize);
  impl.partsBatch(0, batchSize);
  impl.replays = 0;
}
for (let b = 0; b < batches; b++) {
  impls.forEach((impl, k) => {
    checkUs[k]?.push(checkBatch(impl, batchSize));
    if (b % 10 === 0) {
      const parts = impl.partsBatch(b, 100);
      layoutUs[k]?.push(parts.layoutUs);
      pairUs[k]?.push(parts.pairUs);
    }
  });
}

const f = (x: number, digits = 2) => x.toFixed(digits).padStart(6);
console.log(
  `ReplayDetector.check on 48×48 camera-like frames, ${WINDOW} earlier frames in the 3 s window, ` +
    `${players} player${players === 1 ? '' : 's'} taking turns; ${batches} batches of ${batchSize} frames, ` +
    'alternating (µs per frame, median / best batch; the parts on one player):',
);
impls.forEach((impl, k) => {
  const c = checkUs[k] ?? [];
  const l = layoutUs[k] ?? [];
  const p = pairUs[k] ?? [];
  console.log(
    `  ${impl.name.padEnd(19)} check ${f(median(c))} / ${f(best(c))}` +
      `   frameLayout ${f(median(l))} / ${f(best(l))}   motion distance per pair ${f(median(p), 3)} / ${f(best(p), 3)}` +
      `   (${impl.replays} frames flagged)`,
  );
});
const [ref, cur] = checkUs as [number[], number[]];
console.log(
  `  ratio               check ${(median(ref) / median(cur)).toFixed(1)}× (median), ${(best(ref) / best(cur)).toFixed(1)}× (best)`,
);
if (impls[0]?.replays !== impls[1]?.replays) {
  console.error('the two implementations flagged different numbers of frames');
  process.exitCode = 1;
}
