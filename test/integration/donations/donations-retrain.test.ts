/**
 * Retraining with donated crops: a smoke run on the FER2013 sample plus an export of donated
 * crops completes, trains on the training donors' rows only, still selects on FER2013
 * PublicTest, and reports accuracy on the validation donors' crops.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { donorIdFromToken } from '../../../server/donations/donor-id.ts';
import { exportDonations } from '../../../server/donations/export.ts';
import { DEFAULT_VALIDATION_FRACTION, isValidationDonor } from '../../../server/donations/split.ts';
import { SqliteDonationStore } from '../../../server/store/donation-sqlite-store.ts';
import { EMOTIONS } from '../../../shared/emotions.ts';
import { FRAME_BYTES } from '../../../shared/frame.ts';
import { readFer2013 } from '../../../training/data/fer2013-reader.ts';
import { main as retrain } from '../../../training/retrain/cli.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/fer2013-sample.csv');
const tmp = mkdtempSync(join(tmpdir(), 'donations-retrain-'));

/** Player tokens whose donors fall on the wanted side of the default split (found by trying, deterministically). */
function tokensOnSide(validation: boolean, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const t = `donor_token_${String(i).padStart(8, '0')}`;
    if (isValidationDonor(donorIdFromToken(t), DEFAULT_VALIDATION_FRACTION) === validation) out.push(t);
  }
  return out;
}

describe('retrain with donated crops (smoke)', () => {
  const donated = join(tmp, 'donated.csv.gz');
  let summary: Awaited<ReturnType<typeof exportDonations>>;
  let result: { code: number; out: string; err: string };

  beforeAll(async () => {
    // Donated crops stand in as FER2013 PrivateTest faces labelled with their emotion, from 3 training and 2 validation donors.
    const fer = await readFer2013(FIXTURE);
    const store = new SqliteDonationStore(join(tmp, 'leaderboard.sqlite'));
    const donors = [...tokensOnSide(false, 3), ...tokensOnSide(true, 2)].map(donorIdFromToken);
    const crops = [];
    for (let i = 0, k = 0; i < fer.count; i++) {
      if (fer.usages[i] !== 2) continue;
      const probabilities = new Array(7).fill(0.05);
      probabilities[fer.labels[i] as number] = 0.7;
      crops.push({
        donorId: donors[k++ % donors.length] as string,
        prompt: EMOTIONS[fer.labels[i] as number] as (typeof EMOTIONS)[number],
        pixels: fer.images.slice(i * FRAME_BYTES, (i + 1) * FRAME_BYTES),
        probabilities,
        modelVersion: 'emotion/vgg16@test',
        msIntoRound: 1000,
        donatedAt: Date.UTC(2026, 10, 30),
      });
    }
    await store.addCrops(crops);
    summary = await exportDonations(store, { out: donated, validationFraction: DEFAULT_VALIDATION_FRACTION });
    await store.close();

    const out: string[] = [];
    const err: string[] = [];
    const o = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const e = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      const code = await retrain([
        ...['--data', FIXTURE, '--data', donated, '--arch', 'vgg8', '--epochs', '1', '--batch', '32', '--workers', '1'],
        ...['--out', join(tmp, 'models', 'with-donations'), '--run-dir', join(tmp, 'runs', 'wd'), '--no-progress'],
        ...['--seed', '5'],
      ]);
      result = { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }, 300_000);
  afterAll(() => undefined);

  it('exports training and validation donors apart', () => {
    expect(summary.donors).toBe(5);
    expect(summary.validationDonors).toBe(2);
    expect(summary.validationRows).toBeGreaterThan(0);
    expect(summary.trainingRows).toBeGreaterThan(0);
  });

  it('trains on FER2013 Training plus the training donors only, and reports the validation donors’ accuracy', async () => {
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const fer = await readFer2013(FIXTURE);
    let ferTraining = 0;
    for (let i = 0; i < fer.count; i++) if (fer.usages[i] === 0) ferTraining++;
    expect(result.out).toContain(`on ${ferTraining + summary.trainingRows} images`);
    const line = result.out.split('\n').find((l) => l.startsWith('donated validation'));
    expect(line).toMatch(
      new RegExp(
        `^donated validation \\(donated\\.csv\\.gz, .*\\): accuracy \\d+\\.\\d\\d% on ${summary.validationRows} crops$`,
      ),
    );
    const metrics = JSON.parse(readFileSync(join(tmp, 'models', 'with-donations', 'metrics.json'), 'utf8')) as {
      training: { donatedValidation: { file: string; n: number; accuracy: number }[] };
      evaluation: { PublicTest: unknown };
    };
    expect(metrics.training.donatedValidation).toEqual([
      { file: 'donated.csv.gz', n: summary.validationRows, accuracy: expect.any(Number) },
    ]);
    // Selection stays on FER2013 PublicTest.
    expect(metrics.evaluation.PublicTest).toBeDefined();
  });
});
