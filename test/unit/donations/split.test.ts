import { describe, expect, it } from 'vitest';
import { DONOR_ID_PATTERN, donorIdFromToken } from '../../../server/donations/donor-id.ts';
import { ferRow } from '../../../server/donations/export.ts';
import { agreement, isValidationDonor, modelAgrees } from '../../../server/donations/split.ts';
import { publicIdFromToken } from '../../../server/game/player-id.ts';

const tokens = Array.from({ length: 2000 }, (_, i) => `token_${String(i).padStart(12, '0')}`);

describe('donor ids', () => {
  it('are stable, 16 characters, and share nothing with the public player id', () => {
    for (const t of tokens.slice(0, 50)) {
      const d = donorIdFromToken(t);
      expect(d).toMatch(DONOR_ID_PATTERN);
      expect(donorIdFromToken(t)).toBe(d);
      const p = publicIdFromToken(t);
      expect(d.startsWith(p.slice(0, 6))).toBe(false);
      expect(p.startsWith(d.slice(0, 6))).toBe(false);
    }
    expect(new Set(tokens.map(donorIdFromToken)).size).toBe(tokens.length);
  });
});

describe('the training/validation split', () => {
  it('puts about a tenth of donors on the validation side, the same way every time', () => {
    const donors = tokens.map(donorIdFromToken);
    const validation = donors.filter((d) => isValidationDonor(d));
    expect(validation.length / donors.length).toBeGreaterThan(0.08);
    expect(validation.length / donors.length).toBeLessThan(0.12);
    expect(donors.filter((d) => isValidationDonor(d))).toEqual(validation);
  });

  it('grows the validation side without moving a validation donor to training', () => {
    const donors = tokens.map(donorIdFromToken);
    for (const d of donors) if (isValidationDonor(d, 0.1)) expect(isValidationDonor(d, 0.2)).toBe(true);
    expect(donors.every((d) => !isValidationDonor(d, 0))).toBe(true);
    expect(donors.every((d) => isValidationDonor(d, 1))).toBe(true);
  });
});

describe('agreement with the model and the FER2013 row', () => {
  const crop = { prompt: 'happy' as const, probabilities: [0.05, 0, 0.05, 0.6, 0.1, 0.1, 0.1] };
  it('reads the probability of the prompt and whether it was the model’s top emotion', () => {
    expect(agreement(crop)).toBe(0.6);
    expect(modelAgrees(crop)).toBe(true);
    expect(modelAgrees({ ...crop, prompt: 'sad' })).toBe(false);
  });
  it('writes emotion id, space-separated pixels and the usage', () => {
    const pixels = new Uint8Array(2304).fill(7);
    pixels[0] = 255;
    const row = ferRow({ prompt: 'surprise', pixels }, 'PublicTest');
    expect(row.startsWith('5,255 7 7 ')).toBe(true);
    expect(row.endsWith(' 7,PublicTest\n')).toBe(true);
    expect(row.split(',')[1]?.split(' ')).toHaveLength(2304);
  });
});
