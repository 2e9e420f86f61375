/** `donations -- stats`: counts per emotion, donors, and how often the model agreed with the prompt. */
import { EMOTIONS, type Emotion } from '../../shared/emotions.ts';
import type { StoredCrop } from '../store/donation-types.ts';
import { agreement, isValidationDonor, modelAgrees } from './split.ts';

interface EmotionTally {
  crops: number;
  donors: Set<string>;
  agreementSum: number;
  topMatches: number;
}

export interface DonationStats {
  crops: number;
  donors: number;
  validationDonors: number;
  validationCrops: number;
  firstDay: number | null;
  lastDay: number | null;
  models: Map<string, number>;
  perEmotion: Map<Emotion, { crops: number; donors: number; meanAgreement: number; topMatchRate: number }>;
  meanAgreement: number;
  topMatchRate: number;
}

export class StatsTally {
  private readonly tallies = new Map<Emotion, EmotionTally>(
    EMOTIONS.map((e) => [e, { crops: 0, donors: new Set(), agreementSum: 0, topMatches: 0 }]),
  );
  private readonly donors = new Set<string>();
  private readonly models = new Map<string, number>();
  private validationCrops = 0;
  private first: number | null = null;
  private last: number | null = null;

  constructor(private readonly validationFraction: number) {}

  add(crop: StoredCrop): void {
    const t = this.tallies.get(crop.prompt) as EmotionTally;
    t.crops++;
    t.donors.add(crop.donorId);
    t.agreementSum += agreement(crop);
    if (modelAgrees(crop)) t.topMatches++;
    this.donors.add(crop.donorId);
    this.models.set(crop.modelVersion, (this.models.get(crop.modelVersion) ?? 0) + 1);
    if (isValidationDonor(crop.donorId, this.validationFraction)) this.validationCrops++;
    this.first = this.first === null ? crop.donatedAt : Math.min(this.first, crop.donatedAt);
    this.last = this.last === null ? crop.donatedAt : Math.max(this.last, crop.donatedAt);
  }

  result(): DonationStats {
    let crops = 0;
    let agreementSum = 0;
    let topMatches = 0;
    const perEmotion: DonationStats['perEmotion'] = new Map();
    for (const [e, t] of this.tallies) {
      crops += t.crops;
      agreementSum += t.agreementSum;
      topMatches += t.topMatches;
      perEmotion.set(e, {
        crops: t.crops,
        donors: t.donors.size,
        meanAgreement: t.crops ? t.agreementSum / t.crops : 0,
        topMatchRate: t.crops ? t.topMatches / t.crops : 0,
      });
    }
    let validationDonors = 0;
    for (const d of this.donors) if (isValidationDonor(d, this.validationFraction)) validationDonors++;
    return {
      crops,
      donors: this.donors.size,
      validationDonors,
      validationCrops: this.validationCrops,
      firstDay: this.first,
      lastDay: this.last,
      models: this.models,
      perEmotion,
      meanAgreement: crops ? agreementSum / crops : 0,
      topMatchRate: crops ? topMatches / crops : 0,
    };
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const day = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString().slice(0, 10));

export function formatStats(s: DonationStats): string {
  const lines = [
    `donated crops: ${s.crops} from ${s.donors} donor${s.donors === 1 ? '' : 's'} (${day(s.firstDay)} … ${day(s.lastDay)})`,
    `validation split: ${s.validationDonors} donor${s.validationDonors === 1 ? '' : 's'}, ${s.validationCrops} crops`,
    `agreement with the model: mean p(prompt) ${s.meanAgreement.toFixed(3)}, top emotion = prompt ${pct(s.topMatchRate)}`,
    '',
    'emotion    crops  donors  mean p(prompt)  top = prompt',
  ];
  for (const [e, r] of s.perEmotion) {
    lines.push(
      `${e.padEnd(9)} ${String(r.crops).padStart(6)} ${String(r.donors).padStart(7)} ${r.meanAgreement.toFixed(3).padStart(15)} ${pct(r.topMatchRate).padStart(13)}`,
    );
  }
  lines.push('', 'model versions:');
  if (s.models.size === 0) lines.push('  (none)');
  for (const [m, n] of s.models) lines.push(`  ${m}: ${n} crops`);
  return lines.join('\n');
}
