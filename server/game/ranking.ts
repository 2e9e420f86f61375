/**
 * What counts for the ranked leaderboard (docs/scoring.md, "Leaderboard"). A leaderboard
 * identity is a player token; tokens are free, so the rules below make many of them costly:
 * a game ranks only when players from at least two network addresses scored in it, and one
 * address may register only a few new identities a day. Pure: the store applies these rules.
 */
import { createHash } from 'node:crypto';

export interface RankingRules {
  /** Games of fewer rounds do not rank. */
  minRounds: number;
  /** A game ranks only when players from this many different addresses scored in it. */
  minAddresses: number;
  /** New ranked identities one address may register per `identityWindowMs`. */
  identitiesPerAddress: number;
  identityWindowMs: number;
}

export const DEFAULT_RANKING: RankingRules = {
  minRounds: 3,
  minAddresses: 2,
  identitiesPerAddress: 3,
  identityWindowMs: 24 * 60 * 60 * 1000,
};

/** Stands for players whose address is not known (they never make a game ranked). */
export const UNKNOWN_ADDRESS = 'unknown';

/**
 * A short one-way key of a client's network (the net layer's per-address key: an IPv4
 * address, or an IPv6 /64, which one household or phone can pick addresses from freely).
 * Games store this key, never the address.
 */
export function addressKey(network: string): string {
  return createHash('sha256').update(`emotion-arena/address/${network}`).digest('base64url').slice(0, 16);
}

/** True when a finished game counts for the ranked board: enough rounds, and scorers from enough addresses. */
export function isRankedGame(
  rounds: number,
  players: readonly { addressKey: string; score: number }[],
  rules: RankingRules = DEFAULT_RANKING,
): boolean {
  if (rounds < rules.minRounds) return false;
  const addresses = new Set(
    players.filter((p) => p.score > 0 && p.addressKey !== UNKNOWN_ADDRESS).map((p) => p.addressKey),
  );
  return addresses.size >= rules.minAddresses;
}

/**
 * Whether an address may register one more ranked identity, given when the identities it
 * registered before were registered.
 */
export function mayRegisterIdentity(
  registeredAt: readonly number[],
  now: number,
  rules: RankingRules = DEFAULT_RANKING,
): boolean {
  return registeredAt.filter((t) => t > now - rules.identityWindowMs).length < rules.identitiesPerAddress;
}
