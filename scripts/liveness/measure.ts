/**
 * Measures how well the liveness features separate live cameras from replays: for every
 * recorded or generated sequence, the distance of each frame to the nearest of the frames
 * before it in the look-back window (15 frames = 3 s at 5 frames/s), and the share of frames
 * a threshold flags; and the points of one 10 s round (every frame scored 0.9) through the
 * server's check with threshold --tau (default: the server's) and the scorer. --metric motion (the default, what the server uses: motionDistance) or
 * layout (plain layout distance, for comparison).
 *
 *   node --import tsx scripts/liveness/measure.ts [--recordings DIR] [--faces DIR] [--grid 12]
 *
 * Live: crops recorded from headless Chromium's fake camera (record-browser-crops.ts) and
 * camera-like sequences made from face photos (test/helpers/camera-like.ts). Replays: one
 * crop still, with a bit flipped or noise or a light change per frame, two or three crops
 * in turn, a short clip looped, plain or with noise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_LIVENESS, ReplayDetector } from '../../server/game/liveness.ts';
import { frameLayout, layoutDistance, motionDistance } from '../../server/game/liveness-features.ts';
import { DEFAULT_SCORING, RoundScorer } from '../../server/game/scoring.ts';
import { FRAME_BYTES } from '../../shared/frame.ts';
import { CameraLikeStream, gaussian, seededRandom } from '../../test/helpers/camera-like.ts';

const { values } = parseArgs({
  options: {
    recordings: { type: 'string', default: 'test/fixtures/liveness' },
    faces: { type: 'string', default: '../shared/data/faces' },
    grid: { type: 'string', default: '12' },
    window: { type: 'string', default: '15' },
    metric: { type: 'string', default: 'motion' },
    bench: { type: 'boolean', default: false },
    tau: { type: 'string', default: String(DEFAULT_LIVENESS.minMotion) },
    thresholds: { type: 'string', default: '0.005,0.01,0.0125,0.015,0.02' },
  },
});
const grid = Number(values.grid);
const lookBack = Number(values.window);
const distance = values.metric === 'motion' ? motionDistance : layoutDistance;
const thresholds = (values.thresholds as string).split(',').map(Number);

function readFrames(file: string): Uint8Array[] {
  const raw = readFileSync(file);
  const bytes = file.endsWith('.gz') ? gunzipSync(raw) : raw;
  const frames: Uint8Array[] = [];
  for (let i = 0; i + FRAME_BYTES <= bytes.length; i += FRAME_BYTES)
    frames.push(new Uint8Array(bytes.subarray(i, i + FRAME_BYTES)));
  return frames;
}

function readPhoto(file: string): { pixels: Uint8Array; width: number; height: number } {
  const size = 250;
  const raw = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-vf', `scale=${size}:${size}`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
    {
      maxBuffer: 1 << 24,
    },
  );
  return { pixels: new Uint8Array(raw), width: size, height: size };
}

/** Nearest-earlier-frame distance for every frame after the first. */
function nearestDistances(frames: Uint8Array[]): number[] {
  const layouts = frames.map((f) => frameLayout(f, grid));
  const out: number[] = [];
  for (let i = 1; i < layouts.length; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (let j = Math.max(0, i - lookBack); j < i; j++) best = Math.min(best, distance(layouts[i]!, layouts[j]!));
    out.push(best);
  }
  return out;
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
const rand = seededRandom(7);

// ── sequences ─────────────────────────────────────────────────────────────────
const live: Record<string, Uint8Array[][]> = {
  'browser, moving fake camera': [],
  'camera-like photos': [],
  'camera-like, held still (motion 0.1)': [],
  'camera-like, very still (motion 0.05)': [],
};
const browserLive = live['browser, moving fake camera']!;
const stillPhotoCamera: Uint8Array[][] = [];
const recDir = values.recordings as string;
const recordings = existsSync(recDir) ? readdirSync(recDir).filter((f) => /\.gray(\.gz)?$/.test(f)) : [];
for (const f of recordings) {
  // browser-stillphoto-*: the fake camera without drift, i.e. a still photo in front of a camera.
  (f.includes('stillphoto') ? stillPhotoCamera : browserLive).push(readFrames(path.join(recDir, f)));
}
const facesDir = values.faces as string;
const photos: string[] = [];
if (existsSync(facesDir)) {
  for (const emotion of readdirSync(facesDir)) {
    for (const f of readdirSync(path.join(facesDir, emotion)).slice(0, 3)) photos.push(path.join(facesDir, emotion, f));
  }
}
photos.forEach((p, k) => {
  const img = readPhoto(p);
  const window = { x: 50, y: 50, side: 150 };
  const stream = new CameraLikeStream(img, { seed: 100 + k, window });
  live['camera-like photos']!.push(Array.from({ length: 50 }, () => stream.next()));
  // A player holding still: the same drift model with a smaller push per frame (default 0.25).
  for (const [name, motion] of [
    ['camera-like, held still (motion 0.1)', 0.1],
    ['camera-like, very still (motion 0.05)', 0.05],
  ] as const) {
    const held = new CameraLikeStream(img, { seed: 300 + k, window, motion });
    live[name]!.push(Array.from({ length: 50 }, () => held.next()));
  }
});

const bases: Uint8Array[] = [
  ...browserLive.map((s) => s[0]!),
  ...live['camera-like photos']!.slice(0, 6).map((s) => s[0]!),
];
const replay: Record<string, Uint8Array[][]> = {};
const add = (name: string, seq: Uint8Array[]) => {
  replay[name] ??= [];
  replay[name]!.push(seq);
};
const N = 50;
for (const [bi, base] of bases.entries()) {
  add(
    'still',
    Array.from({ length: N }, () => base),
  );
  add(
    'still, one bit flipped per frame',
    Array.from({ length: N }, (_, i) => {
      const f = Uint8Array.from(base);
      f[i % FRAME_BYTES] = (f[i % FRAME_BYTES]! ^ 1) & 255;
      return f;
    }),
  );
  for (const sigma of [2, 4, 8, 16, 24]) {
    add(
      `still + noise σ=${sigma}`,
      Array.from({ length: N }, () => base.map((v) => clamp(v + sigma * gaussian(rand)))),
    );
  }
  add(
    'still + light drift ±15%',
    Array.from({ length: N }, (_, i) => base.map((v) => clamp(v * (1 + 0.15 * Math.sin(i / 4))))),
  );
  const other = bases[(bi + 1) % bases.length]!;
  const third = bases[(bi + 2) % bases.length]!;
  add(
    'two crops in turn',
    Array.from({ length: N }, (_, i) => (i % 2 ? other : base)),
  );
  add(
    'three crops in turn',
    Array.from({ length: N }, (_, i) => [base, other, third][i % 3]!),
  );
}
for (const seq of [...browserLive, ...live['camera-like photos']!.slice(0, 6)]) {
  const clip = seq.slice(0, 8);
  add(
    'clip of 8 frames looped',
    Array.from({ length: N }, (_, i) => clip[i % 8]!),
  );
  add(
    'clip of 8 frames looped + noise σ=4',
    Array.from({ length: N }, (_, i) => clip[i % 8]!.map((v) => clamp(v + 4 * gaussian(rand)))),
  );
}

// ── report ────────────────────────────────────────────────────────────────────
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'inf');
console.log(
  `${values.metric} distance, layout grid ${grid}×${grid}, look-back ${lookBack} frames; distance to the nearest earlier frame`,
);
console.log(
  `${'sequence'.padEnd(38)} ${'n'.padStart(5)}  min     p1      p5      p50     p95     max   | flagged at τ = ${thresholds.join(' / ')}`,
);
/** Points of one 10 s round for these frames at 5 frames/s when the model says 0.9 for every one. */
function points(frames: Uint8Array[], tau: number): number {
  const detector = new ReplayDetector({ ...DEFAULT_LIVENESS, minMotion: tau });
  const scorer = new RoundScorer(DEFAULT_SCORING, 0, 10_000);
  frames.slice(0, 50).forEach((f, i) => {
    const v = detector.check(f, i * 200);
    scorer.revoke(v.copies, i * 200);
    scorer.add(i * 200, 0.9, !v.replay, v.frameId);
  });
  return scorer.result().points;
}
const tau = Number(values.tau);

const row = (name: string, seqs: Uint8Array[][], skipNovel: boolean) => {
  const pts = seqs.map((s) => points(s, tau));
  const all: number[] = [];
  for (const s of seqs) {
    const d = nearestDistances(s);
    // Replays: the first occurrence of each distinct picture cannot match anything yet.
    all.push(...(skipNovel ? d.slice(8) : d));
  }
  const flagged = thresholds.map(
    (t) => `${((100 * all.filter((x) => x < t).length) / Math.max(1, all.length)).toFixed(1)}%`,
  );
  console.log(
    `${name.padEnd(38)} ${String(all.length).padStart(5)}  ${[0, 1, 5, 50, 95, 100].map((p) => fmt(pct(all, p)).padStart(6)).join('  ')} | ${flagged.join(' / ')} | points at τ ${tau}: mean ${(pts.reduce((a, b) => a + b, 0) / pts.length).toFixed(0)}, min ${Math.min(...pts)}`,
  );
};
for (const [name, seqs] of Object.entries(live)) if (seqs.length) row(`LIVE ${name}`, seqs, false);
if (stillPhotoCamera.length) row('replay: browser, still photo in front of camera', stillPhotoCamera, false);
for (const [name, seqs] of Object.entries(replay)) row(`replay: ${name}`, seqs, true);

if (values.bench) {
  // The server runs ReplayDetector.check once per received frame, on the event loop.
  const frames = [...browserLive.flat(), ...live['camera-like photos']!.flat()];
  for (const fps of [5, 10]) {
    const detector = new ReplayDetector();
    const n = 20_000;
    for (let i = 0; i < 2000; i++) detector.check(frames[i % frames.length]!, i * (1000 / fps)); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) detector.check(frames[i % frames.length]!, (2000 + i) * (1000 / fps));
    const us = ((performance.now() - t0) / n) * 1000;
    console.log(
      `ReplayDetector.check at ${fps} frames/s (3 s window = ${3 * fps} frames): ${us.toFixed(1)} µs per frame`,
    );
  }
}
