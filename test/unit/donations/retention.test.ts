import { describe, expect, it } from 'vitest';
import { Donations } from '../../../server/donations/donations.ts';
import { donorIdFromToken } from '../../../server/donations/donor-id.ts';
import { donationDay, retentionCutoff } from '../../../server/donations/retention.ts';
import { createManualClock } from '../../../server/game/clock.ts';
import { silentLogger } from '../../../server/logging.ts';
import { MemoryDonationStore } from '../../../server/store/donation-memory-store.ts';
import type { DonatedCrop, DonationStore } from '../../../server/store/donation-types.ts';
import type { RoundResults } from '../../../shared/protocol.ts';

const DAY = 86_400_000;
const settle = () => new Promise((r) => setImmediate(r));

function crop(donorId: string, donatedAt: number): DonatedCrop {
  return {
    donorId,
    prompt: 'happy',
    pixels: new Uint8Array(2304),
    probabilities: [0, 0, 0, 1, 0, 0, 0],
    modelVersion: 'm',
    msIntoRound: 0,
    donatedAt,
  };
}

async function all(store: DonationStore): Promise<DonatedCrop[]> {
  const out: DonatedCrop[] = [];
  for await (const c of store.crops()) out.push(c);
  return out;
}

describe('retention rules', () => {
  it('store the day only and cut at the maximum age in whole days', () => {
    const now = Date.UTC(2026, 10, 30, 15, 42);
    expect(donationDay(now)).toBe(Date.UTC(2026, 10, 30));
    expect(retentionCutoff(now, { maxAgeDays: 180, maxCrops: 1 })).toBe(Date.UTC(2026, 10, 30) - 180 * DAY);
  });
});

describe('the server enforces retention', () => {
  it('deletes crops past the maximum age at start and every hour, and keeps at most maxCrops (newest)', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryDonationStore();
    await store.addCrops([crop('old', Date.UTC(2025, 0, 1)), crop('recent', Date.UTC(2025, 11, 31))]);
    const donations = new Donations({
      store,
      clock,
      log: silentLogger(),
      modelVersion: () => 'm',
      retention: { maxAgeDays: 30, maxCrops: 3 },
    });
    clock.advance(0);
    await donations.flush();
    expect((await all(store)).map((c) => c.donorId)).toEqual(['recent']);

    await store.addCrops([1, 2, 3].map((i) => crop(`new${i}`, Date.UTC(2026, 0, 1))));
    await donations.flush(); // nothing buffered: no retention pass
    expect(await store.count()).toBe(4);
    clock.advance(60 * 60 * 1000);
    await donations.flush();
    expect((await all(store)).map((c) => c.donorId)).toEqual(['new1', 'new2', 'new3']);

    // Thirty-one days later the crops of 2026-01-01 are past the maximum age: the next hourly pass deletes them.
    clock.advance(31 * DAY);
    await settle();
    clock.advance(60 * 60 * 1000);
    await settle();
    expect(await store.count()).toBe(0);
    await donations.close();
  });

  it('writes a round’s crops a moment after the round, not during it, and deletion reaches unwritten ones', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryDonationStore();
    const donations = new Donations({ store, clock, log: silentLogger(), modelVersion: () => 'v1' });
    const token = 'player_token_0123456789';
    donations.consent('socket-1', token, true);
    const score = { prompt: 'happy' as const, match: 0.9, meter: 0.9, counted: true };
    const start = clock.now();
    for (let i = 0; i < 8; i++) {
      clock.advance(200);
      donations.frameScored(
        {
          socketId: 'socket-1',
          roomCode: 'ABCDE',
          playerId: 'pid',
          ticket: { roundKey: 'g:0', receivedAt: clock.now() },
          crop: new Uint8Array(2304).fill(i),
        },
        score,
        [0, 0, 0, 0.9, 0, 0, 0.1],
        start,
      );
    }
    const results: RoundResults = {
      index: 0,
      prompt: 'happy',
      entries: [{ playerId: 'pid', nickname: 'Ann', points: 900, totalScore: 900, peak: 0.9 }],
    };
    donations.roundEnded('ABCDE', results);
    expect(await store.count()).toBe(0);
    expect(donations.stats.buffered).toBeGreaterThan(0);
    const n = donations.stats.buffered;
    expect(await donations.deleteByToken(token)).toBe(n);
    clock.advance(1000);
    await donations.flush();
    expect(await store.count()).toBe(0);

    // Once more, written this time: the held second's first five crops (the first crop is one of them).
    const start2 = clock.now();
    for (let i = 0; i < 8; i++) {
      clock.advance(200);
      donations.frameScored(
        {
          socketId: 'socket-1',
          roomCode: 'ABCDE',
          playerId: 'pid',
          ticket: { roundKey: 'g:1', receivedAt: clock.now() },
          crop: new Uint8Array(2304).fill(i),
        },
        score,
        [0, 0, 0, 0.9, 0, 0, 0.1],
        start2,
      );
    }
    donations.roundEnded('ABCDE', { ...results, index: 1 });
    clock.advance(1000);
    await donations.flush();
    const rows = await all(store);
    expect(rows.map((r) => r.msIntoRound)).toEqual([200, 400, 600, 800, 1000]);
    expect(rows.every((r) => r.donorId === donorIdFromToken(token) && r.modelVersion === 'v1')).toBe(true);

    // Withdrawing consent stops collection at once.
    donations.consent('socket-1', token, false);
    expect(donations.consent('socket-2', token, false)).toEqual({ donating: false, donorId: null });
    await donations.close();
  });
});
