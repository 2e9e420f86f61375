/**
 * Donated face crops, kept in the same store as the leaderboard but in their own table.
 * A row holds exactly what docs/privacy.md promises and nothing else: no nickname, token,
 * address, room or public player id.
 */
import type { Emotion } from '../../shared/emotions.ts';

export interface DonatedCrop {
  /** One-way hash of the player token, different from the public player id (server/donations/donor-id.ts). */
  donorId: string;
  /** The emotion the player was asked to show (the label). */
  prompt: Emotion;
  /** 2304 bytes: 48×48 grey, row-major, as the model saw it. */
  pixels: Uint8Array;
  /** The served model's 7 probabilities, FER2013 order. */
  probabilities: number[];
  modelVersion: string;
  /** When in the round the crop was received (ms since the round started). */
  msIntoRound: number;
  /** When it was donated, rounded down to the UTC day (ms since epoch). */
  donatedAt: number;
}

export interface StoredCrop extends DonatedCrop {
  id: number;
}

export interface CropFilter {
  /** Only crops donated at or after this time (ms since epoch). */
  since?: number;
}

export interface DonationStore {
  readonly kind: string;
  addCrops(crops: readonly DonatedCrop[]): Promise<void>;
  /** Deletes every crop of the donor; returns how many were deleted. */
  deleteDonor(donorId: string): Promise<number>;
  /** Retention by age: deletes crops donated before `time`; returns how many. */
  deleteDonatedBefore(time: number): Promise<number>;
  /** Retention by size: deletes the oldest crops beyond the newest `keep`; returns how many. */
  keepNewest(keep: number): Promise<number>;
  count(): Promise<number>;
  /** Every stored crop matching the filter, oldest first. */
  crops(filter?: CropFilter): AsyncIterable<StoredCrop>;
  close(): Promise<void>;
}
