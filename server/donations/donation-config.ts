/**
 * Donation retention settings from the environment (documented in docs/configuration.md and
 * docs/privacy.md). Kept apart from server/config.ts so the donation feature reads its own
 * variables; a bad value stops the server with the same ConfigError.
 */
import { z } from 'zod';
import { ConfigError } from '../config.ts';
import { DEFAULT_RETENTION, type RetentionRules } from './retention.ts';

const schema = z.object({
  DONATIONS_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(3650).default(DEFAULT_RETENTION.maxAgeDays),
  DONATIONS_MAX_CROPS: z.coerce.number().int().min(0).max(100_000_000).default(DEFAULT_RETENTION.maxCrops),
});

export interface DonationConfig {
  retention: RetentionRules;
}

export function loadDonationConfig(env: NodeJS.ProcessEnv = process.env): DonationConfig {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') cleaned[key] = v;
  }
  const r = schema.safeParse(cleaned);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => {
        const key = i.path.join('.');
        return `${key}: ${i.message}${env[key] !== undefined ? ` (got "${env[key]}")` : ''}`;
      }),
    );
  }
  return { retention: { maxAgeDays: r.data.DONATIONS_MAX_AGE_DAYS, maxCrops: r.data.DONATIONS_MAX_CROPS } };
}
