import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModelMetrics } from '../../../../server/ml/model-folder/metrics.ts';
import type { Int8GateResult } from '../../../../training/onnx/int8.ts';
import { renderModelCard } from '../../../../training/retrain/model-card.ts';

const metrics = JSON.parse(
  // models/seed's metrics.json, kept as a fixture when the seed model left the clone (models/MANIFEST.json).
  readFileSync(new URL('../../../fixtures/models/seed-metrics.json', import.meta.url), 'utf8'),
) as ModelMetrics;

const gate = (kept: boolean): Int8GateResult => ({
  kept,
  usage: 'PublicTest',
  n: 3589,
  calibrationImages: 1000,
  tta: false,
  fp32Accuracy: 0.652,
  int8Accuracy: kept ? 0.6503 : 0.64,
  dropPoints: kept ? 0.17 : 1.2,
  maxDropPoints: 0.5,
  file: kept ? 'model.int8.onnx' : null,
});

describe('renderModelCard served weights', () => {
  it('names the int8 file and its PublicTest cost when the gate kept it', () => {
    const card = renderModelCard(metrics, [], gate(true));
    expect(card).toMatch(
      /Served weights: int8 ONNX \(`model\.int8\.onnx`, calibrated on 1000 training images; PublicTest 65\.0% int8 against 65\.2% fp32\)/,
    );
  });

  it('says fp32 is served when the gate rejected int8', () => {
    expect(renderModelCard(metrics, [], gate(false))).toMatch(
      /Served weights: fp32 \(the int8 export lost more than 0\.5 points: PublicTest 64\.0% int8/,
    );
  });

  it('says nothing about served weights without an int8 report', () => {
    expect(renderModelCard(metrics, [])).not.toMatch(/Served weights/);
  });
});

describe('renderModelCard FER+, as-served figures and calibration', () => {
  const entry = (accuracy: number, command: string) => ({
    accuracy,
    macroF1: accuracy - 0.02,
    n: 3372,
    excluded: 217,
    perClassRecall: { angry: 0.7, sad: 0.74 },
    engine: 'onnx-int8, calibrated (2 workers, batch ≤ 64)',
    data: 'fer2013.csv.gz',
    command,
    measuredAt: '2026-11-30T03:00:00.000Z',
  });
  const m: ModelMetrics = {
    ...metrics,
    training: {
      labelWeight: 0.3,
      ferplusWeight: 0.3,
      faceapiWeight: 0.2,
      teacher: 'models/x',
      distillWeight: 0.2,
      selection: 'fer+ferplus',
    },
    asServed: {
      fer: { PrivateTest: entry(0.59, 'npm run evaluate -- --model m --usage PrivateTest') },
      ferplus: { PrivateTest: entry(0.701, 'npm run evaluate -- --model m --usage PrivateTest --labels ferplus') },
    },
    calibration: {
      file: 'calibration.json',
      temperature: 1.06,
      medianMeter: { before: { happy: 0.84, sad: 0.39 }, after: { happy: 0.51, sad: 0.51 } },
      ferplusPublicRecallRaw: { sad: 0.575 },
      ferplusPublicRecall: { sad: 0.742 },
      promptSet: ['happy', 'sad'],
    },
  };
  const card = renderModelCard(m, []);

  it('shows both label sets as served, with the commands that measured them', () => {
    expect(card).toMatch(/\| FER\+ 7-emotion majority \| – \| 70\.1% \(macro-F1 68\.1%, 3372 images\) \|/);
    expect(card).toMatch(/`npm run evaluate -- --model m --usage PrivateTest --labels ferplus` \(2026-11-30\)/);
    expect(card).toMatch(/\| 😢 sad \| 74\.0% \| 74\.0% \|/);
  });

  it('tabulates the median meter before and after calibration and the prompt set', () => {
    expect(card).toMatch(/\| 😄 happy \| 0\.84 \| 0\.51 \|/);
    expect(card).toMatch(/\| 😢 sad \| 0\.39 \| 0\.51 \| 57\.5% \| 74\.2% \|/);
    expect(card).toMatch(/Default prompt set \(calibrated FER\+ PublicTest recall ≥ 50%\): happy, sad\./);
  });

  it('names every part of the training targets and the declared selection criterion', () => {
    expect(card).toMatch(
      /Training targets: the original label \(weight 0\.3\), the FER\+ vote distribution .*weight 0\.3.*, the flip-averaged prediction of `models\/x` \(weight 0\.2\), face-api's FaceExpressionNet prediction \(weight 0\.2\)\./,
    );
    expect(card).toMatch(/Epoch selection \(declared before training\): mean of FER2013 and FER\+/);
  });
});
