/**
 * The training/validation split of donated crops is by donor, never by crop: a donor's crops
 * all land on one side, so a model is never validated on a face it trained on. The side is a
 * hash of the donor id alone, so it is the same in every export and does not move when other
 * donors join or leave.
 */
import { createHash } from 'node:crypto';
import { emotionId } from '../../shared/emotions.ts';
import type { DonatedCrop } from '../store/donation-types.ts';

export const DEFAULT_VALIDATION_FRACTION = 0.1;

/** The donor's position in [0, 1), uniform over donors. */
export function donorSplitPoint(donorId: string): number {
  return createHash('sha256').update(`emotion-arena/split/${donorId}`).digest().readUInt32BE(0) / 2 ** 32;
}

export function isValidationDonor(donorId: string, fraction: number = DEFAULT_VALIDATION_FRACTION): boolean {
  return donorSplitPoint(donorId) < fraction;
}

/** The model's probability for the prompted emotion: how much it agreed with the label. */
export function agreement(crop: Pick<DonatedCrop, 'prompt' | 'probabilities'>): number {
  const p = crop.probabilities[emotionId(crop.prompt)];
  return typeof p === 'number' && Number.isFinite(p) ? p : 0;
}

/** True when the model's top emotion is the prompted one. */
export function modelAgrees(crop: Pick<DonatedCrop, 'prompt' | 'probabilities'>): boolean {
  const target = emotionId(crop.prompt);
  let best = 0;
  for (let i = 1; i < crop.probabilities.length; i++) {
    if ((crop.probabilities[i] ?? 0) > (crop.probabilities[best] ?? 0)) best = i;
  }
  return best === target;
}
