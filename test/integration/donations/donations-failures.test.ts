/** What players and operators are told when the donation store fails, and how writes stay off the event loop. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Donations } from '../../../server/donations/donations.ts';
import { createManualClock } from '../../../server/game/clock.ts';
import { silentLogger } from '../../../server/logging.ts';
import { MemoryDonationStore } from '../../../server/store/donation-memory-store.ts';
import type { DonatedCrop } from '../../../server/store/donation-types.ts';
import type { RoundResults } from '../../../shared/protocol.ts';
import { ask, connectBot, markerEngine, newToken, startTestServer } from '../../helpers/server-harness.ts';

function capturingLogger(): { log: pino.Logger; lines: () => { level: number; msg: string; crops?: number }[] } {
  const out: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void out.push(s) });
  return { log, lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string; crops?: number }) };
}

/** Plays one round of 8 crops per donor (sockets s1…sN, each already consenting) straight into the collector. */
function playRound(donations: Donations, clock: ReturnType<typeof createManualClock>, round: number, donors = 1): void {
  const start = clock.now();
  for (let i = 0; i < 8; i++) {
    clock.advance(200);
    for (let d = 1; d <= donors; d++) {
      donations.frameScored(
        {
          socketId: `s${d}`,
          roomCode: 'ROOMA',
          playerId: `p${d}`,
          ticket: { roundKey: `g:${round}`, receivedAt: clock.now() },
          crop: new Uint8Array(2304).fill(i),
        },
        { prompt: 'sad', match: 0.8, meter: 0.8, counted: true },
        [0, 0, 0, 0, 0.8, 0, 0.2],
        start,
      );
    }
  }
  const results: RoundResults = {
    index: round,
    prompt: 'sad',
    entries: Array.from({ length: donors }, (_, d) => ({
      playerId: `p${d + 1}`,
      nickname: 'x',
      points: 800,
      totalScore: 800,
      peak: 0.8,
    })),
  };
  donations.roundEnded('ROOMA', results);
}

describe('when the donation store fails', () => {
  it('the crops are dropped, counted and logged, and the game goes on', async () => {
    const clock = createManualClock();
    const { log, lines } = capturingLogger();
    const store = new MemoryDonationStore();
    store.addCrops = async () => {
      throw new Error('disk full');
    };
    const donations = new Donations({ store, clock, log, modelVersion: () => 'v' });
    donations.consent('s1', 'token_0123456789abcdef', true);
    playRound(donations, clock, 0);
    await donations.flush();
    expect(donations.stats).toEqual({ written: 0, dropped: 5, buffered: 0 });
    expect(lines().find((l) => l.level === 50)).toMatchObject({
      msg: 'could not store donated crops; they are dropped',
      crops: 5,
    });
    await donations.close();
  });

  it('a player asking for deletion is told to try again', async () => {
    const store = new MemoryDonationStore();
    store.deleteDonor = async () => {
      throw new Error('connection lost');
    };
    const donations = new Donations({
      store,
      clock: createManualClock(),
      log: silentLogger(),
      modelVersion: () => 'v',
    });
    const server = await startTestServer({ engine: markerEngine(), donations });
    const s = await connectBot(server.url);
    try {
      const r = await ask(s, 'donation:delete', { playerToken: newToken('del') });
      expect(r).toEqual({
        ok: false,
        error: { code: 'UNAVAILABLE', message: 'your donations could not be deleted right now; please try again' },
      });
    } finally {
      s.close();
      await server.close();
      await donations.close();
    }
  });
});

describe('writing a large batch', () => {
  it('goes in transactions of at most 32 crops with the event loop free between them', async () => {
    const clock = createManualClock();
    const store = new MemoryDonationStore();
    const events: string[] = [];
    const add = store.addCrops.bind(store);
    store.addCrops = async (crops: readonly DonatedCrop[]) => {
      events.push(`write ${crops.length}`);
      setImmediate(() => events.push('loop'));
      await add(crops);
    };
    const donations = new Donations({ store, clock, log: silentLogger(), modelVersion: () => 'v' });
    for (let d = 1; d <= 14; d++) donations.consent(`s${d}`, `token_0123456789abcde${d}`, true);
    playRound(donations, clock, 0, 14); // 14 donors × 5 crops = 70 crops
    await donations.flush();
    expect(await store.count()).toBe(70);
    expect(events.filter((e) => e.startsWith('write'))).toEqual(['write 32', 'write 32', 'write 6']);
    // Another task ran between two writes.
    expect(events.indexOf('loop')).toBeLessThan(events.lastIndexOf('write 6'));
    await donations.close();
  });
});
