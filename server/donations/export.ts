/**
 * `donations -- export`: donated crops as a FER2013-layout file (emotion,pixels,Usage) that
 * `npm run retrain -- --data` reads. Validation donors' crops are written as PublicTest rows,
 * everyone else's as Training rows (split.ts). Written to a temporary file and renamed, so a
 * failed export never leaves a half file under the requested name.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { emotionId } from '../../shared/emotions.ts';
import type { DonatedCrop, DonationStore } from '../store/donation-types.ts';
import { agreement, isValidationDonor } from './split.ts';

export interface ExportOptions {
  out: string;
  /** Drop crops whose model probability for the prompt is below this (noisy labels). */
  minAgreement?: number;
  /** Only crops donated at or after this time (ms since epoch). */
  since?: number;
  validationFraction: number;
}

export interface ExportSummary {
  rows: number;
  trainingRows: number;
  validationRows: number;
  donors: number;
  validationDonors: number;
  belowAgreement: number;
}

export function ferRow(crop: Pick<DonatedCrop, 'prompt' | 'pixels'>, usage: 'Training' | 'PublicTest'): string {
  return `${emotionId(crop.prompt)},${crop.pixels.join(' ')},${usage}\n`;
}

export async function exportDonations(store: DonationStore, options: ExportOptions): Promise<ExportSummary> {
  const summary: ExportSummary = {
    rows: 0,
    trainingRows: 0,
    validationRows: 0,
    donors: 0,
    validationDonors: 0,
    belowAgreement: 0,
  };
  const donors = new Set<string>();
  const validationDonors = new Set<string>();
  async function* lines(): AsyncGenerator<string> {
    yield 'emotion,pixels,Usage\n';
    for await (const crop of store.crops(options.since === undefined ? {} : { since: options.since })) {
      if (options.minAgreement !== undefined && agreement(crop) < options.minAgreement) {
        summary.belowAgreement++;
        continue;
      }
      const validation = isValidationDonor(crop.donorId, options.validationFraction);
      donors.add(crop.donorId);
      if (validation) validationDonors.add(crop.donorId);
      summary.rows++;
      if (validation) summary.validationRows++;
      else summary.trainingRows++;
      yield ferRow(crop, validation ? 'PublicTest' : 'Training');
    }
  }
  const tmp = `${options.out}.partial-${process.pid}`;
  try {
    const sink = createWriteStream(tmp);
    if (options.out.endsWith('.gz')) await pipeline(lines(), createGzip(), sink);
    else await pipeline(lines(), sink);
    await rename(tmp, options.out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  summary.donors = donors.size;
  summary.validationDonors = validationDonors.size;
  return summary;
}
