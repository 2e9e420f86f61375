/**
 * The fast liveness features against the straightforward code the replay thresholds were
 * measured with (test/helpers/liveness-reference.ts). The fast code keeps every
 * floating-point step of the reference in the same order, so today the numbers agree to the
 * bit; the test allows TOLERANCE (relative, with an absolute floor for values near zero) so
 * that a later change which only reorders a sum still passes, while anything large enough to
 * move a frame across the 0.015 threshold fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVENESS, type LivenessRules, ReplayDetector } from '../../../server/game/liveness.ts';
import {
  type FrameLayout,
  frameLayout,
  LAYOUT_GRID,
  motionDistance,
  motionDistances,
} from '../../../server/game/liveness-features.ts';
import { FRAME_BYTES, FRAME_HEIGHT, FRAME_WIDTH } from '../../../shared/frame.ts';
import { cameraLikeFrames, gaussian, seededRandom, syntheticFace } from '../../helpers/camera-like.ts';
import {
  type ReferenceLayout,
  ReferenceReplayDetector,
  referenceFrameLayout,
  referenceMotionDistance,
} from '../../helpers/liveness-reference.ts';

/** Relative tolerance for cells, basis, Gram inverse and motion distances. */
const TOLERANCE = 1e-6;
/** Absolute floor: distances of a frame to its own copy are 0 up to rounding. */
const FLOOR = 1e-9;

const rand = seededRandom(11);
const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function recording(name: string): Uint8Array[] {
  const bytes = gunzipSync(
    readFileSync(path.resolve(import.meta.dirname, '../../fixtures/liveness', `${name}.gray.gz`)),
  );
  const frames: Uint8Array[] = [];
  for (let i = 0; i + FRAME_BYTES <= bytes.length; i += FRAME_BYTES) {
    frames.push(new Uint8Array(bytes.subarray(i, i + FRAME_BYTES)));
  }
  return frames;
}

const randomFrame = () => Uint8Array.from({ length: FRAME_BYTES }, () => Math.floor(rand() * 256));
const noised = (f: Uint8Array, sigma: number) => f.map((v) => clamp(v + sigma * gaussian(rand)));
/** The picture moved by (dx, dy) pixels, edges repeated. */
const shifted = (f: Uint8Array, dx: number, dy: number) =>
  f.map((_, i) => {
    const x = Math.max(0, Math.min(FRAME_WIDTH - 1, (i % FRAME_WIDTH) - dx));
    const y = Math.max(0, Math.min(FRAME_HEIGHT - 1, Math.floor(i / FRAME_WIDTH) - dy));
    return f[y * FRAME_WIDTH + x] as number;
  });

/** Frames of every kind the check sees: random, recorded, camera-like, uniform, and copies of them. */
function frameSet(): { name: string; frame: Uint8Array }[] {
  const live = recording('browser-moving-sample1Right');
  const camera = cameraLikeFrames(syntheticFace(5), 6, { seed: 5 });
  const bases = [
    ...Array.from({ length: 4 }, (_, k) => ({ name: `random ${k}`, frame: randomFrame() })),
    ...[0, 7, 19].map((k) => ({ name: `recorded ${k}`, frame: live[k] as Uint8Array })),
    ...camera.map((frame, k) => ({ name: `camera-like ${k}`, frame })),
    // A gradient: textured, but smooth, so its motion basis is far from the noise of random frames.
    { name: 'gradient', frame: Uint8Array.from({ length: FRAME_BYTES }, (_, i) => (i % FRAME_WIDTH) * 5) },
  ];
  const copies = bases.flatMap(({ name, frame }) => [
    { name: `${name} + noise σ=2`, frame: noised(frame, 2) },
    { name: `${name} + noise σ=8`, frame: noised(frame, 8) },
    { name: `${name} shifted (1, 0)`, frame: shifted(frame, 1, 0) },
    { name: `${name} shifted (-2, 3)`, frame: shifted(frame, -2, 3) },
    { name: `${name} darker`, frame: frame.map((v) => clamp(v * 0.8 + 5)) },
  ]);
  const uniform = [0, 40, 128, 255].map((v) => ({ name: `uniform ${v}`, frame: new Uint8Array(FRAME_BYTES).fill(v) }));
  // Spread below MIN_SPREAD (2 grey levels) but not constant: still "not textured".
  const nearlyUniform = {
    name: 'nearly uniform',
    frame: Uint8Array.from({ length: FRAME_BYTES }, () => 100 + (rand() < 0.5 ? 0 : 2)),
  };
  return [...bases, ...copies, ...uniform, nearlyUniform];
}

function expectClose(actual: number, expected: number, what: string): void {
  if (!Number.isFinite(expected)) {
    expect(actual, what).toBe(expected);
    return;
  }
  const allowed = Math.max(FLOOR, TOLERANCE * Math.abs(expected));
  if (!(Math.abs(actual - expected) <= allowed)) expect.fail(`${what}: ${actual} ≠ ${expected} (±${allowed})`);
}

function expectSameLayout(fast: FrameLayout, ref: ReferenceLayout, what: string): void {
  expect(fast.textured, what).toBe(ref.textured);
  expect(fast.cells.length, what).toBe(ref.cells.length);
  const n = ref.cells.length;
  expect(fast.motionBasis.length, what).toBe(3 * n);
  for (let i = 0; i < n; i++) expectClose(fast.cells[i] as number, ref.cells[i] as number, `${what}, cell ${i}`);
  // The motion model only matters for textured frames (motionDistance never reads it otherwise).
  if (!ref.textured) return;
  for (let p = 0; p < 3; p++) {
    const basis = ref.motionBasis[p] as Float64Array;
    for (let i = 0; i < n; i++) {
      expectClose(fast.motionBasis[p * n + i] as number, basis[i] as number, `${what}, basis ${p}, cell ${i}`);
    }
  }
  for (let k = 0; k < 9; k++) {
    expectClose(fast.gramInverse[k] as number, ref.gramInverse[k] as number, `${what}, Gram inverse ${k}`);
  }
}

describe('fast liveness features = the reference implementation', () => {
  const frames = frameSet();

  it('frameLayout: the same cells, motion basis and Gram inverse on the server grid', () => {
    for (const { name, frame } of frames) expectSameLayout(frameLayout(frame), referenceFrameLayout(frame), name);
  });

  it('frameLayout: the same on other grids (the per-pixel path, scripts/liveness/measure.ts --grid)', () => {
    for (const grid of [1, 5, 6, 8, 10, 16, 24]) {
      for (const { name, frame } of frames.slice(0, 12)) {
        expectSameLayout(frameLayout(frame, grid), referenceFrameLayout(frame, grid), `grid ${grid}, ${name}`);
      }
    }
  });

  it('motionDistance: the same for every pair, copies, shifts and uniform frames included', () => {
    const fast = frames.map(({ frame }) => frameLayout(frame));
    const ref = frames.map(({ frame }) => referenceFrameLayout(frame));
    let below = 0;
    for (let a = 0; a < frames.length; a++) {
      for (let b = 0; b < frames.length; b++) {
        const expected = referenceMotionDistance(ref[a] as ReferenceLayout, ref[b] as ReferenceLayout);
        const what = `${frames[a]?.name} vs ${frames[b]?.name}`;
        expectClose(motionDistance(fast[a] as FrameLayout, fast[b] as FrameLayout), expected, what);
        if (expected < DEFAULT_LIVENESS.minMotion) below++;
      }
    }
    // Both sides of the threshold are covered: copies below it, different pictures above.
    expect(below).toBeGreaterThan(frames.length);
    expect(below).toBeLessThan(frames.length * frames.length);
  });

  it('motionDistances: the same as motionDistance one pair at a time, whatever the window and its blank frames', () => {
    const live = recording('browser-moving-sample6Right');
    const blank = new Uint8Array(FRAME_BYTES).fill(70);
    const pool = [...live.slice(0, 12), noised(live[3] as Uint8Array, 2), blank, blank];
    const refs = pool.map((f) => referenceFrameLayout(f));
    const fast = pool.map((f) => frameLayout(f));
    const out = new Float64Array(16);
    for (const current of [0, 5, 13]) {
      for (let size = 0; size <= 9; size++) {
        // Windows that take blank frames at different places, so the groups of three fall differently.
        const window = Array.from({ length: size }, (_, k) => (k * 5 + size + current) % pool.length);
        out.fill(-1);
        motionDistances(
          fast[current] as FrameLayout,
          window.map((k) => fast[k] as FrameLayout),
          out,
        );
        window.forEach((k, j) => {
          const what = `frame ${current} vs window [${window}], slot ${j}`;
          expectClose(
            out[j] as number,
            referenceMotionDistance(refs[current] as ReferenceLayout, refs[k] as ReferenceLayout),
            what,
          );
        });
        expect(out[size]).toBe(-1);
      }
    }
  });

  it('frameLayout into reused arrays: the same layout whatever they held; arrays of the wrong size are not used', () => {
    const live = recording('browser-moving-sample1Right');
    const blank = new Uint8Array(FRAME_BYTES).fill(30);
    const sequence = [live[0], blank, live[1], live[2], blank, blank, live[3]] as Uint8Array[];
    for (const grid of [LAYOUT_GRID, 10]) {
      let previous: FrameLayout | undefined;
      for (const [k, frame] of sequence.entries()) {
        const layout = frameLayout(frame, grid, previous);
        if (previous) {
          expect(layout.cells).toBe(previous.cells);
          expect(layout.motionBasis).toBe(previous.motionBasis);
          expect(layout.gramInverse).toBe(previous.gramInverse);
        }
        expectSameLayout(
          layout,
          referenceFrameLayout(frame, grid),
          `grid ${grid}, frame ${k} into the arrays of frame ${k - 1}`,
        );
        previous = layout;
      }
    }
    const wrongSize = frameLayout(live[0] as Uint8Array, LAYOUT_GRID);
    const layout = frameLayout(live[1] as Uint8Array, 10, wrongSize);
    expect(layout.cells).not.toBe(wrongSize.cells);
    expect(layout.motionBasis).not.toBe(wrongSize.motionBasis);
    expect(layout.gramInverse).toBe(wrongSize.gramInverse);
    expectSameLayout(layout, referenceFrameLayout(live[1] as Uint8Array, 10), 'grid 10 into grid 12 arrays');
  });

  it('ReplayDetector: the same verdicts as the reference detector on live frames and replays', () => {
    const live = recording('browser-moving-sample1Right').slice(0, 40);
    const still = live[0] as Uint8Array;
    const sequences = [
      live,
      live.map((f) => noised(f, 4)),
      Array.from({ length: 40 }, () => noised(still, 4)),
      Array.from({ length: 40 }, (_, n) => live[n % 8] as Uint8Array),
      Array.from({ length: 40 }, (_, n) => (n % 5 === 0 ? new Uint8Array(FRAME_BYTES).fill(90) : noised(still, 2))),
    ];
    // Steady 5 frames/s; bursts and gaps longer than the window; a window cut short by maxFrames.
    const timings: [LivenessRules, (i: number) => number][] = [
      [DEFAULT_LIVENESS, (i) => i * 200],
      [DEFAULT_LIVENESS, (i) => Math.floor(i / 6) * 1700 + (i % 6) * 30],
      [{ ...DEFAULT_LIVENESS, maxFrames: 4 }, (i) => i * 100],
      [{ ...DEFAULT_LIVENESS, windowMs: 60_000 }, (i) => i * 200],
    ];
    for (const [rules, time] of timings) {
      for (const frames of sequences) {
        const fast = new ReplayDetector(rules);
        const ref = new ReferenceReplayDetector(rules);
        frames.forEach((f, i) => {
          if (i === 30) {
            fast.reset();
            ref.reset();
          }
          expect(fast.check(f, time(i))).toEqual(ref.check(f, time(i)));
        });
      }
    }
  });
});
