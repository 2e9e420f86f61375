import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModelMetrics } from '../../../server/ml/eval/report-types.ts';
import type { Int8GateResult } from '../../../server/ml/onnx/int8.ts';
import { renderModelCard } from '../../../server/ml/retrain/model-card.ts';

const metrics = JSON.parse(
  readFileSync(new URL('../../../models/seed/metrics.json', import.meta.url), 'utf8'),
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
