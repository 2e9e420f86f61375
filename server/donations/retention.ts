/** Retention rules for donated crops: pure arithmetic on an injected "now". */

export interface RetentionRules {
  /** Crops older than this many days are deleted. */
  maxAgeDays: number;
  /** At most this many crops are kept; the oldest go first. */
  maxCrops: number;
}

export const DEFAULT_RETENTION: RetentionRules = { maxAgeDays: 180, maxCrops: 100_000 };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Donation times are stored at day precision: a precise time could be matched against a
 * game's finish time in the leaderboard and so link a donor to a player id.
 */
export function donationDay(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

/** Crops donated before this time are past the maximum age. */
export function retentionCutoff(now: number, rules: RetentionRules): number {
  return donationDay(now) - rules.maxAgeDays * DAY_MS;
}
