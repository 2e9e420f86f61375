/**
 * Follows consenting connections' scored frames and, when a round ends, hands the selected
 * crops (see crop-selection.ts) to a sink as storable rows. Consent is per connection and
 * lives only in memory: a connection that never said yes is ignored at the first map lookup,
 * and nothing about it is kept.
 */
import type { Emotion } from '../../shared/emotions.ts';
import type { RoundResults } from '../../shared/protocol.ts';
import type { Clock } from '../game/clock.ts';
import type { DonatedCrop } from '../store/donation-types.ts';
import { RoundCropSelector, type SelectionRules } from './crop-selection.ts';
import { donorIdFromToken } from './donor-id.ts';
import { donationDay } from './retention.ts';

/** The fields of a frame job the collector needs (server/net's FrameJob has them). */
export interface ScoredFrame {
  socketId: string;
  roomCode: string;
  playerId: string;
  ticket: { roundKey: string; receivedAt: number };
  crop: Uint8Array;
}

/** What the room made of the frame (server/game's FrameOutcome has these). */
export interface FrameScore {
  prompt: Emotion;
  match: number;
  meter: number;
  counted: boolean;
}

interface RoundTrack {
  socketId: string;
  donorId: string;
  roundKey: string;
  prompt: Emotion;
  modelVersion: string;
  selector: RoundCropSelector;
  lastSeen: number;
}

export interface CollectorDeps {
  clock: Clock;
  rules: SelectionRules;
  modelVersion: () => string;
  sink: (crops: DonatedCrop[]) => void;
}

export class DonationCollector {
  private readonly donors = new Map<string, string>();
  /** One track per room member in the current round, keyed room/player. */
  private readonly tracks = new Map<string, RoundTrack>();

  constructor(private readonly deps: CollectorDeps) {}

  /** Starts (or stops) collecting this connection's crops; returns the donor id while donating. */
  consent(socketId: string, token: string, on: boolean): string | null {
    if (!on) {
      this.forgetSocket(socketId);
      return null;
    }
    const donorId = donorIdFromToken(token);
    this.donors.set(socketId, donorId);
    return donorId;
  }

  isDonating(socketId: string): boolean {
    return this.donors.has(socketId);
  }

  /** The connection closed or withdrew consent: stop collecting and drop what its round gathered. */
  forgetSocket(socketId: string): void {
    this.donors.delete(socketId);
    for (const [key, t] of this.tracks) if (t.socketId === socketId) this.tracks.delete(key);
  }

  /** The donor asked for deletion: drop crops not yet handed to the sink. */
  forgetDonor(donorId: string): void {
    for (const [key, t] of this.tracks) if (t.donorId === donorId) this.tracks.delete(key);
  }

  get trackedRounds(): number {
    return this.tracks.size;
  }

  frameScored(frame: ScoredFrame, score: FrameScore, probabilities: ArrayLike<number>, roundStartedAt: number): void {
    const donorId = this.donors.get(frame.socketId);
    if (donorId === undefined) return;
    const key = `${frame.roomCode}/${frame.playerId}`;
    let track = this.tracks.get(key);
    if (!track || track.roundKey !== frame.ticket.roundKey || track.donorId !== donorId) {
      track = {
        socketId: frame.socketId,
        donorId,
        roundKey: frame.ticket.roundKey,
        prompt: score.prompt,
        modelVersion: this.deps.modelVersion(),
        selector: new RoundCropSelector(this.deps.rules),
        lastSeen: 0,
      };
      this.tracks.set(key, track);
    }
    track.socketId = frame.socketId;
    track.lastSeen = this.deps.clock.now();
    track.selector.add({
      msIntoRound: Math.max(0, frame.ticket.receivedAt - roundStartedAt),
      pixels: frame.crop,
      probabilities,
      match: score.match,
      meter: score.meter,
      counted: score.counted,
    });
  }

  /** A round of the room ended: select each donor's crops against the room's peaks and hand them on. */
  roundEnded(roomCode: string, results: RoundResults): void {
    const peaks = new Map(results.entries.map((e) => [e.playerId, e.peak]));
    const donatedAt = donationDay(this.deps.clock.now());
    const out: DonatedCrop[] = [];
    const prefix = `${roomCode}/`;
    for (const [key, t] of this.tracks) {
      if (!key.startsWith(prefix)) continue;
      this.tracks.delete(key);
      const playerId = key.slice(prefix.length);
      if (t.prompt !== results.prompt) continue;
      for (const c of t.selector.result(peaks.get(playerId) ?? 0)) {
        out.push({
          donorId: t.donorId,
          prompt: t.prompt,
          pixels: c.pixels,
          probabilities: Array.from(c.probabilities, Number),
          modelVersion: t.modelVersion,
          msIntoRound: c.msIntoRound,
          donatedAt,
        });
      }
    }
    if (out.length > 0) this.deps.sink(out);
  }

  /** Drops rounds that never ended (the game was abandoned) after `idleMs` without frames. */
  sweep(idleMs: number): void {
    const cutoff = this.deps.clock.now() - idleMs;
    for (const [key, t] of this.tracks) if (t.lastSeen < cutoff) this.tracks.delete(key);
  }
}
