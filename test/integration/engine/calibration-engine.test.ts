/**
 * A model folder's calibration.json through the real engine and a room: the served
 * distribution is the temperature-scaled network output (same top class), and the meter
 * the room scores, and sends back as frame:result's match, is the prompted emotion's
 * probability through that emotion's meter map, applied once.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../server/game/clock.ts';
import { publicIdFromToken } from '../../../server/game/player-id.ts';
import { Room } from '../../../server/game/room.ts';
import { DEFAULT_SCORING, frameMatch } from '../../../server/game/scoring.ts';
import {
  applyTemperature,
  CALIBRATION_FILE,
  type Calibration,
  mapMeter,
} from '../../../server/ml/engine/calibration.ts';
import { createEmotionEngine } from '../../../server/ml/engine/create-engine.ts';
import { EMOTIONS, type Emotion, emotionId } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { CameraLikeStream, syntheticFace } from '../../helpers/camera-like.ts';
import { loadFixture, saveRandomModel, type TempModel } from '../../helpers/model-fixture.ts';
import { startServerProcess } from '../../helpers/server-process.ts';

let model: TempModel;
let frames: Uint8Array[];
/** A strong map on every emotion (a random network's probabilities are near 1/7): 1/7 → about 0.6. */
const lift = { x: [0, 0.1, 0.2, 1], y: [0, 0.4, 0.75, 1] };
const cal: Calibration = {
  version: 2,
  temperature: 1.7,
  meter: Object.fromEntries(EMOTIONS.map((e) => [e, lift])) as Calibration['meter'],
};

beforeAll(async () => {
  model = await saveRandomModel('vgg8', 4);
  const d = await loadFixture();
  frames = [0, 1, 2, 3].map((i) => d.images.slice(i * FRAME_BYTES, (i + 1) * FRAME_BYTES));
}, 120_000);
afterAll(async () => {
  await model?.cleanup();
});

async function predict(calibrate?: boolean): Promise<{ name: string; probs: Float32Array[] }> {
  const engine = await createEmotionEngine({
    modelDir: model.dir,
    engine: 'tfjs',
    workers: 1,
    ...(calibrate === undefined ? {} : { calibrate }),
  });
  try {
    return { name: engine.name, probs: await engine.predict(frames) };
  } finally {
    await engine.dispose();
  }
}

const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((b, v, i, arr) => (v > (arr[b] as number) ? i : b), 0);

/** One player, one round on a manual clock: the outcome of a frame scored with `probabilities`. */
function scoreInRoom(probabilities: Float32Array, prompt: Emotion) {
  const clock = createManualClock();
  const room = new Room(
    'CALIB',
    { rounds: 1, roundSeconds: 10, emotions: [prompt] },
    {
      clock,
      random: () => 0.5,
      timings: { countdownMs: 1000, roundResultsMs: 1000, finalResultsMs: 1000, reconnectGraceMs: 1000 },
      scoring: DEFAULT_SCORING,
      newGameId: () => 'g',
      listener: {
        changed: () => {},
        roundResults: () => {},
        gameFinished: () => {},
        memberRemoved: () => {},
        empty: () => {},
      },
    },
  );
  const token = 'token-calibration-0123456789';
  room.join(token, 'Cal');
  const id = publicIdFromToken(token);
  room.start(id);
  clock.advance(1000);
  const ticket = room.acceptFrame(id, new CameraLikeStream(syntheticFace(3), { seed: 1 }).next());
  if (!ticket.ok) throw new Error(ticket.message);
  return room.recordFrame(id, ticket.value, probabilities);
}

describe('engine calibration (version 2)', () => {
  it('serves softmax(log p / T) with the top class unchanged, and the room maps the prompted emotion once', async () => {
    const raw = await predict();
    expect(raw.name).not.toMatch(/calibrated/);
    await writeFile(join(model.dir, CALIBRATION_FILE), JSON.stringify(cal));
    const served = await predict();
    expect(served.name).toMatch(/calibrated/);
    served.probs.forEach((q, i) => {
      const p = raw.probs[i] as Float32Array;
      const expected = applyTemperature(cal.temperature, p);
      for (let c = 0; c < 7; c++) expect(q[c]).toBeCloseTo(expected[c] as number, 5);
      expect(Array.from(q).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      expect(argmax(q)).toBe(argmax(p));
    });
    const q = served.probs[0] as Float32Array;
    // The top class and the least likely one: both go through the map.
    const least = Array.from(q).reduce((b, v, i, arr) => (v < (arr[b] as number) ? i : b), 0);
    for (const prompt of [EMOTIONS[argmax(q)], EMOTIONS[least]] as Emotion[]) {
      const e = emotionId(prompt);
      const meter = mapMeter(lift, q[e] as number);
      expect(meter).toBeGreaterThan(q[e] as number);
      expect(frameMatch(q, e)).toBeCloseTo(meter, 6);
      // Through the room: frame:result's match and the live meter are the mapped value, not mapped twice.
      const outcome = scoreInRoom(q, prompt);
      expect(outcome?.match).toBeCloseTo(meter, 6);
      expect(outcome?.meter).toBeCloseTo(meter, 6);
      if (meter < 0.99) expect(outcome?.match).not.toBeCloseTo(mapMeter(lift, meter), 3);
    }
    // Without calibration the room scores the probability as it is.
    const plain = raw.probs[0] as Float32Array;
    expect(scoreInRoom(plain, 'sad')?.match).toBeCloseTo(plain[emotionId('sad')] as number, 6);
    // The raw output stays available (fitting a new calibration needs it).
    const again = await predict(false);
    again.probs.forEach((p, i) => {
      for (let c = 0; c < 7; c++) expect(p[c]).toBeCloseTo((raw.probs[i] as Float32Array)[c] as number, 6);
    });
    expect(frameMatch(again.probs[0] as Float32Array, 4)).toBe((again.probs[0] as Float32Array)[4]);
  }, 180_000);

  it('refuses to start on a malformed calibration.json, naming the file', async () => {
    await writeFile(
      join(model.dir, CALIBRATION_FILE),
      JSON.stringify({ ...cal, meter: { ...cal.meter, sad: { x: [0, 0.6, 0.5, 1], y: [0, 0.2, 0.3, 1] } } }),
    );
    await expect(predict()).rejects.toThrow(/calibration\.json: meter\.sad: x and y must both increase strictly/);
  }, 120_000);

  it('refuses a version 1 file with the command that replaces it', async () => {
    await writeFile(
      join(model.dir, CALIBRATION_FILE),
      JSON.stringify({ version: 1, temperature: 1.1, bias: [0, 0, 0, 0, 0, 0, 0] }),
    );
    await expect(predict()).rejects.toThrow(/calibration\.json: version 1 .*npm run calibrate -- --model/);
  }, 120_000);

  it('the server refuses to start on a bad calibration.json, saying which file and field', async () => {
    await writeFile(
      join(model.dir, CALIBRATION_FILE),
      JSON.stringify({ ...cal, meter: { ...cal.meter, fear: { x: [0, 1], y: [0, 0.9] } } }),
    );
    const dataDir = await mkdtemp(join(tmpdir(), 'arena-cal-data-'));
    try {
      const run = await startServerProcess(
        { MODEL_DIR: model.dir, INFERENCE_ENGINE: 'tfjs', INFERENCE_WORKERS: '1', DATA_DIR: dataDir },
        180_000,
      );
      expect(run.code).toBe(1);
      expect(run.output).toMatch(/cannot load the emotion model/);
      expect(run.output).toMatch(/calibration\.json: meter\.fear must start at \(0, 0\) and end at \(1, 1\)/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 200_000);
});
