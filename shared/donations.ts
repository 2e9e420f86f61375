/**
 * Frame donation: the opt-in text both sides agree on, and the payloads of the
 * donation:consent / donation:delete events (see docs/privacy.md and docs/protocol.md).
 */

/** Shown next to the opt-in checkbox; off by default, per device. */
export const DONATION_CONSENT_TEXT =
  'Donate my face crops from games to improve the emotion model: only the small grey 48×48 crops ' +
  'the server already sees, with the emotion you were asked for. Not your nickname. You can delete them at any time.';

/** Where the home screen's privacy line links to (served by the game server). */
export const PRIVACY_PATH = '/privacy';

export interface DonationConsentRequest {
  playerToken: string;
  /** true: donate this connection's crops from now on; false: stop. */
  consent: boolean;
}

export interface DonationConsentResult {
  donating: boolean;
  /**
   * The donor id the crops are stored under (a one-way hash of the token, different from the
   * public player id); quote it to an operator to delete without the token. Null when not donating.
   */
  donorId: string | null;
}

export interface DonationDeleteRequest {
  playerToken: string;
}

export interface DonationDeleteResult {
  /** How many stored crops were deleted (0 when there were none). */
  deleted: number;
}
