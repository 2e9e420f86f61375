import { describe, expect, it } from 'vitest';
import type { Calibration } from '../../../../server/ml/engine/calibration.ts';
import { EMOTIONS } from '../../../../shared/emotions.ts';
import { renderCalibrationSection, replaceSection } from '../../../../training/calibration/card-section.ts';
import { summarisePhotos } from '../../../../training/calibration/photo-summary.ts';

const cal = {
  version: 2,
  temperature: 1.05,
  meter: Object.fromEntries(EMOTIONS.map((e) => [e, { x: [0, 0.4, 1], y: [0, 0.55, 1] }])),
  reference: [{ quantile: 0.5, meter: 0.545 }],
  medianMeter: { before: { sad: 0.39 }, after: { sad: 0.545 } },
  publicTest: { ferplusRecall: { sad: 0.5747 } },
  promptSet: ['happy', 'sad'],
  identity: [{ emotion: 'fear', reason: '12 faces (a median needs 30)' }],
} as unknown as Calibration;

describe('renderCalibrationSection', () => {
  it('tabulates the median meter before and after, the recall and the prompt set', () => {
    const s = renderCalibrationSection(cal);
    expect(s).toMatch(/^## Meter calibration\n/);
    expect(s).toContain('| 😢 sad | – | 1 | 0.39 | 0.55 | – | – | 57.5% |');
    expect(s).toContain('median → 0.545');
    expect(s).toContain('- fear: identity map (12 faces (a median needs 30)).');
    expect(s).toContain('≥ 50%): happy, sad.');
    expect(s).not.toContain('### On photos');
  });
  it('adds the photo table when a measurement is recorded', () => {
    const s = renderCalibrationSection(cal, {
      dir: 'faces',
      command: 'npm run meter:faces -- --record',
      measuredAt: '2026-11-30T06:00:00.000Z',
      engine: 'onnx-int8',
      rows: {
        sad: {
          photos: 12,
          detected: 10,
          medianBefore: 0.455,
          medianAfter: 0.632,
          maxBefore: 0.758,
          maxAfter: 0.912,
          topClass: 8,
        },
      },
    });
    expect(s).toContain('| 😢 sad | 12 | 10 | 0.46 | 0.63 | 0.76 | 0.91 | 8 of 10 |');
  });
});

describe('replaceSection', () => {
  const section = '## Meter calibration\nnew\n\n';
  it('replaces the old section up to the next heading, keeping the rest', () => {
    const card = '# Card\n\n## Meter calibration\nold\n### On photos\nold\n\n## Results\nr\n';
    expect(replaceSection(card, section)).toBe('# Card\n\n## Meter calibration\nnew\n\n## Results\nr\n');
  });
  it('inserts before Results, or appends', () => {
    expect(replaceSection('# Card\n\n## Results\nr\n', section)).toBe(
      '# Card\n\n## Meter calibration\nnew\n\n## Results\nr\n',
    );
    expect(replaceSection('# Card\n', section)).toBe('# Card\n\n## Meter calibration\nnew\n\n');
  });
});

describe('summarisePhotos', () => {
  it('medians and best of the photo emotion before and after, top-class hits, undetected photos counted apart', () => {
    const served = (top: number) => Array.from({ length: 7 }, (_, c) => (c === top ? 0.5 : 0.5 / 6));
    const raw = (p: number) => Array.from({ length: 7 }, (_, c) => (c === 4 ? p : (1 - p) / 6));
    const rows = summarisePhotos([
      { emotion: 'sad', detected: true, raw: raw(0.2), served: served(4), meter: 0.3 },
      { emotion: 'sad', detected: true, raw: raw(0.4), served: served(6), meter: 0.6 },
      { emotion: 'sad', detected: true, raw: raw(0.6), served: served(4), meter: 0.8 },
      { emotion: 'sad', detected: false },
    ]);
    expect(rows.sad).toEqual({
      photos: 4,
      detected: 3,
      medianBefore: expect.closeTo(0.4, 6),
      medianAfter: 0.6,
      maxBefore: expect.closeTo(0.6, 6),
      maxAfter: 0.8,
      topClass: 2,
    });
    expect(rows.happy).toBeUndefined();
  });
});
