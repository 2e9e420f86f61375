/**
 * Donor ids: a one-way function of the secret player token that differs from the public
 * player id (sha256 of "emotion-arena/player/" + token, server/game/player-id.ts). An HMAC
 * keyed with its own domain separator gives unrelated outputs for the same token, so the
 * donation table cannot be joined to the leaderboard without the tokens, which the server
 * never stores.
 */
import { createHmac } from 'node:crypto';

const DONOR_KEY = 'emotion-arena/donor/v1';

/** 16 base64url characters (96 bits). */
export const DONOR_ID_PATTERN = /^[A-Za-z0-9_-]{16}$/;

export function donorIdFromToken(token: string): string {
  return createHmac('sha256', DONOR_KEY).update(token).digest('base64url').slice(0, 16);
}
