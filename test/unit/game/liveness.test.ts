/**
 * The liveness check on recorded browser crops (test/fixtures/liveness, made by
 * scripts/liveness/record-browser-crops.ts) and on replays built from them. The model is not
 * involved: every frame is scored 0.9 for the prompt, so the points below come from the
 * liveness check and the hold rule alone (fake clock, 5 frames/s, 10 s round).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVENESS, measureReplay, ReplayDetector } from '../../../server/game/liveness.ts';
import { frameLayout, layoutDistance, motionDistance } from '../../../server/game/liveness-features.ts';
import { DEFAULT_SCORING, RoundScorer } from '../../../server/game/scoring.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { gaussian, seededRandom } from '../../helpers/camera-like.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/liveness');

function recording(name: string): Uint8Array[] {
  const bytes = gunzipSync(readFileSync(path.join(FIXTURES, `${name}.gray.gz`)));
  const frames: Uint8Array[] = [];
  for (let i = 0; i + FRAME_BYTES <= bytes.length; i += FRAME_BYTES) {
    frames.push(new Uint8Array(bytes.subarray(i, i + FRAME_BYTES)));
  }
  return frames;
}

const moving = [recording('browser-moving-sample1Right'), recording('browser-moving-sample6Right')];
const stillPhoto = recording('browser-stillphoto-sample1Right');
const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** `count` frames of a strategy: frame(n). */
const seq = (count: number, frame: (n: number) => Uint8Array) => Array.from({ length: count }, (_, n) => frame(n));

/** Plays frames at 5 frames/s through the liveness check and the scorer; every frame scores 0.9. */
function play(frames: Uint8Array[]): { points: number; flagged: number } {
  const start = 1_000_000;
  const detector = new ReplayDetector(DEFAULT_LIVENESS);
  const scorer = new RoundScorer(DEFAULT_SCORING, start, 10_000);
  let flagged = 0;
  frames.slice(0, 50).forEach((f, i) => {
    const t = start + i * 200;
    const v = detector.check(f, t);
    scorer.revoke(v.copies, t);
    if (v.replay) flagged++;
    scorer.add(t, 0.9, !v.replay, v.frameId);
  });
  return { points: scorer.result().points, flagged };
}

function replays(base: Uint8Array, clip: Uint8Array[]): [string, Uint8Array[]][] {
  const rand = seededRandom(3);
  const [a, b, c] = [base, clip[10] as Uint8Array, clip[20] as Uint8Array];
  return [
    ['still', seq(50, () => a)],
    ['still, then silence', seq(11, () => a)],
    [
      'bit flip',
      seq(50, (n) => {
        const f = Uint8Array.from(a);
        f[n % FRAME_BYTES] = ((f[n % FRAME_BYTES] as number) ^ 1) & 255;
        return f;
      }),
    ],
    ['still + noise σ=4', seq(50, () => a.map((v) => clamp(v + 4 * gaussian(rand))))],
    ['still + noise σ=8', seq(50, () => a.map((v) => clamp(v + 8 * gaussian(rand))))],
    ['still + light', seq(50, (n) => a.map((v) => clamp(v * (1 + 0.15 * Math.sin(n / 4)) + 10 * Math.cos(n / 3))))],
    ['two in turn', seq(50, (n) => (n % 2 ? b : a))],
    ['three in turn', seq(50, (n) => [a, b, c][n % 3] as Uint8Array)],
    ['looped clip of 8 live frames', seq(50, (n) => clip[n % 8] as Uint8Array)],
    [
      'looped clip of 12 live frames + noise σ=4',
      seq(50, (n) => (clip[n % 12] as Uint8Array).map((v) => clamp(v + 4 * gaussian(rand)))),
    ],
  ];
}

describe('liveness features', () => {
  it('a picture with noise, flipped bits or new lighting stays the same layout; a moving face does not', () => {
    const a = moving[0]?.[0] as Uint8Array;
    const noisy = a.map((v, i) => clamp(v + ((i * 7919) % 9) - 4));
    const darker = a.map((v) => clamp(v * 0.8 + 5));
    const la = frameLayout(a);
    expect(motionDistance(frameLayout(noisy), la)).toBeLessThan(DEFAULT_LIVENESS.minMotion / 3);
    expect(motionDistance(frameLayout(darker), la)).toBeLessThan(DEFAULT_LIVENESS.minMotion / 3);
    expect(layoutDistance(frameLayout(darker), la)).toBeLessThan(0.01);
    // A second later in the recording the face has moved.
    expect(motionDistance(frameLayout(moving[0]?.[5] as Uint8Array), la)).toBeGreaterThan(
      DEFAULT_LIVENESS.minMotion * 2,
    );
  });

  it('a blank frame has no layout, and blank frames copy each other', () => {
    const blank = frameLayout(new Uint8Array(FRAME_BYTES).fill(40));
    expect(blank.textured).toBe(false);
    expect(motionDistance(blank, frameLayout(new Uint8Array(FRAME_BYTES).fill(200)))).toBe(0);
  });
});

describe('replays against live crops recorded in the browser', () => {
  it('live recordings: almost no frame is flagged, and the round scores as played', () => {
    for (const frames of moving) {
      const { points, flagged } = play(frames);
      expect(flagged / Math.min(50, frames.length)).toBeLessThan(0.1);
      // 30–40 frames (6–8 s) of 0.9: the held peak is 0.9, plus the speed bonus.
      expect(points).toBeGreaterThanOrEqual(900);
    }
  });

  it('every replay strategy scores nothing, and honest play beats each of them', () => {
    const honest = play(moving[0] as Uint8Array[]).points;
    const table: string[] = [`live (browser, moving camera) → ${honest} points`];
    for (const [name, frames] of replays(moving[0]?.[0] as Uint8Array, moving[0] as Uint8Array[])) {
      const { points, flagged } = play(frames);
      table.push(`${name} → ${points} points, ${flagged} of ${frames.length} frames flagged`);
      expect(points, name).toBe(0);
      expect(points, name).toBeLessThan(honest);
    }
    console.info(`liveness + scoring, every frame 0.9:\n${table.join('\n')}`);
  });

  it('a still photo in front of the browser camera (fake camera without drift) earns at most a fraction', () => {
    // The face detector's box jumps now and then, which moves the crop like a small head
    // movement: those frames are not copies. Measured, not hidden (docs/scoring.md).
    const { points, flagged } = play(stillPhoto);
    console.info(`still photo in front of the camera: ${points} points, ${flagged} of ${stillPhoto.length} flagged`);
    expect(flagged).toBeGreaterThan(stillPhoto.length / 3);
    expect(points).toBeLessThan(play(moving[0] as Uint8Array[]).points);
  });

  it('a frame is compared only with frames of the last 3 s: a loop longer than that is not seen', () => {
    const frames = moving[0] as Uint8Array[];
    const detector = new ReplayDetector();
    const verdicts = [...frames.slice(0, 20), ...frames.slice(0, 20)].map((f, i) => detector.check(f, i * 200));
    // Frame 20 repeats frame 0 after 4 s: outside the window, so not flagged by repetition.
    expect(verdicts[20]?.replay).toBe(false);
    const quick = new ReplayDetector();
    const short = [...frames.slice(0, 10), ...frames.slice(0, 10)].map((f, i) => quick.check(f, i * 200));
    expect(short[10]).toMatchObject({ replay: true, copies: [0] });
  });
});

describe('the check split for the inference workers: probe on arrival, measure anywhere, complete on return', () => {
  /** Plays frames at 5 frames/s with `lag` frames measured out of turn; every frame scores 0.9. */
  function playSplit(frames: Uint8Array[], lag: number): { points: number; flagged: number } {
    const start = 1_000_000;
    const detector = new ReplayDetector(DEFAULT_LIVENESS);
    const scorer = new RoundScorer(DEFAULT_SCORING, start, 10_000);
    let flagged = 0;
    // Probes taken as frames arrive; each comes back `lag` frames later, newest of a group first.
    const waiting: { probe: ReturnType<ReplayDetector['probe']>; frame: Uint8Array }[] = [];
    const finish = (w: (typeof waiting)[number]) => {
      const v = detector.complete(w.probe, measureReplay(w.frame, w.probe.earlier));
      scorer.revoke(v.copies, w.probe.t);
      if (v.replay) flagged++;
      scorer.add(w.probe.t, 0.9, !v.replay, v.frameId);
    };
    frames.slice(0, 50).forEach((f, i) => {
      waiting.push({ probe: detector.probe(start + i * 200), frame: f });
      if (waiting.length > lag) for (const w of waiting.splice(0).reverse()) finish(w);
    });
    for (const w of waiting.splice(0).reverse()) finish(w);
    return { points: scorer.result().points, flagged };
  }

  it("gives check()'s verdicts, to the bit, when each frame comes back before the next arrives", () => {
    const frames = [...(moving[0] as Uint8Array[]).slice(0, 12), ...seq(8, () => stillPhoto[0] as Uint8Array)];
    const whole = new ReplayDetector();
    const split = new ReplayDetector();
    frames.forEach((f, i) => {
      const probe = split.probe(i * 200);
      const m = measureReplay(f, probe.earlier);
      expect(split.complete(probe, m)).toEqual(whole.check(f, i * 200));
    });
  });

  it('frames measured out of turn, two or three at a time: every replay strategy still scores nothing', () => {
    const honest = playSplit(moving[0] as Uint8Array[], 2);
    expect(honest.points).toBeGreaterThanOrEqual(900);
    for (const [name, frames] of replays(moving[0]?.[0] as Uint8Array, moving[0] as Uint8Array[])) {
      for (const lag of [1, 2]) {
        const { points, flagged } = playSplit(frames, lag);
        expect(points, `${name}, ${lag + 1} at a time`).toBe(0);
        expect(flagged, `${name}, ${lag + 1} at a time`).toBeGreaterThan(0);
      }
    }
  });

  it('a probe is a snapshot: frames completed after it are not in it, and the window stays in time order', () => {
    const frames = moving[0] as Uint8Array[];
    const d = new ReplayDetector();
    const p0 = d.probe(0);
    const p1 = d.probe(200);
    expect(p1.earlier).toHaveLength(0);
    // The later frame comes back first; the earlier one is then placed before it.
    d.complete(p1, measureReplay(frames[1] as Uint8Array, p1.earlier));
    d.complete(p0, measureReplay(frames[0] as Uint8Array, p0.earlier));
    const p2 = d.probe(400);
    expect(p2.earlierIds).toEqual([0, 1]);
    // A copy of frame 0 names it.
    const v = d.complete(p2, measureReplay(frames[0] as Uint8Array, p2.earlier));
    expect(v).toMatchObject({ frameId: 2, replay: true, copies: [0] });
  });
});
