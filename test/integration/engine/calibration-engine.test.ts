/** The server applies a model folder's calibration.json to every prediction, through the real engine. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCalibration, CALIBRATION_FILE } from '../../../server/ml/engine/calibration.ts';
import { createEmotionEngine } from '../../../server/ml/engine/create-engine.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { loadFixture, saveRandomModel, type TempModel } from '../../unit/engine/model-fixture.ts';

let model: TempModel;
let frames: Uint8Array[];
const cal = { version: 1, temperature: 1.7, bias: [0.5, 1.5, -0.3, -1.2, 0.8, -0.4, 0.2] };

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

describe('engine calibration', () => {
  it("serves softmax(log p / T + b) of the network's output when the folder has calibration.json", async () => {
    const raw = await predict();
    expect(raw.name).not.toMatch(/calibrated/);
    await writeFile(join(model.dir, CALIBRATION_FILE), JSON.stringify(cal));
    const served = await predict();
    expect(served.name).toMatch(/calibrated/);
    served.probs.forEach((q, i) => {
      const expected = applyCalibration(cal, raw.probs[i] as Float32Array);
      for (let c = 0; c < 7; c++) expect(q[c]).toBeCloseTo(expected[c] as number, 5);
      expect(Array.from(q).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    });
    // The raw output stays available (fitting a new calibration needs it).
    const again = await predict(false);
    again.probs.forEach((p, i) => {
      for (let c = 0; c < 7; c++) expect(p[c]).toBeCloseTo((raw.probs[i] as Float32Array)[c] as number, 6);
    });
  }, 180_000);

  it('refuses to start on a malformed calibration.json, naming the file', async () => {
    await writeFile(join(model.dir, CALIBRATION_FILE), JSON.stringify({ ...cal, bias: [1, 2] }));
    await expect(predict()).rejects.toThrow(/calibration\.json: bias must be 7 finite numbers/);
  }, 120_000);
});
