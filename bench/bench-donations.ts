/**
 * node --expose-gc --import tsx bench/bench-donations.ts [--players N] [--seconds S] [--fps F] [--json]
 *
 * What frame donation costs the server's event loop, in process and with the real SQLite store:
 * the per-frame hook (frameScored) for donating and non-donating players, the selection at
 * round end (roundEnded), and the batched write that follows (flush: one transaction, run from
 * a timer after the round, so it delays at most the frames that arrive during it). A loaded
 * machine slows every figure alike; compare them with frame→result latency from npm run loadtest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Donations } from '../server/donations/donations.ts';
import { createManualClock } from '../server/game/clock.ts';
import { silentLogger } from '../server/logging.ts';
import { SqliteDonationStore } from '../server/store/donation-sqlite-store.ts';
import { EMOTION_COUNT } from '../shared/emotions.ts';
import { FRAME_BYTES } from '../shared/frame.ts';
import type { RoundResults } from '../shared/protocol.ts';

const posInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

async function main(): Promise<void> {
  const o = new Command('bench-donations')
    .option('--players <n>', 'players in the round, all donating', posInt, 48)
    .option('--seconds <s>', 'round length', posInt, 60)
    .option('--fps <f>', 'frames per second per player', posInt, 5)
    .option('--json', 'print one JSON object')
    .parse()
    .opts<{ players: number; seconds: number; fps: number; json?: boolean }>();
  const dir = mkdtempSync(join(tmpdir(), 'bench-donations-'));
  const clock = createManualClock(Date.UTC(2026, 10, 30, 12));
  const store = new SqliteDonationStore(join(dir, 'leaderboard.sqlite'));
  // Each chunk's transaction blocks the event loop: time them one by one.
  const chunkMs: number[] = [];
  const timed = Object.create(store) as SqliteDonationStore;
  timed.addCrops = async (crops) => {
    const t = performance.now();
    await store.addCrops(crops);
    chunkMs.push(performance.now() - t);
  };
  const donations = new Donations({ store: timed, clock, log: silentLogger(), modelVersion: () => 'bench' });
  const frames = o.seconds * o.fps;
  const crops = Array.from({ length: 64 }, (_, i) => new Uint8Array(FRAME_BYTES).fill(i * 4));
  const probs = new Float32Array(EMOTION_COUNT).fill(1 / EMOTION_COUNT);

  const run = (donating: boolean, round: number): Float64Array => {
    const times = new Float64Array(frames * o.players);
    for (let p = 0; p < o.players; p++) donations.consent(`s${p}`, `bench_player_token_${p}_x`, donating);
    const start = clock.now();
    let k = 0;
    for (let f = 0; f < frames; f++) {
      clock.advance(1000 / o.fps / o.players);
      for (let p = 0; p < o.players; p++) {
        const meter = 0.3 + 0.6 * Math.abs(Math.sin((f + p) / 20));
        const t0 = performance.now();
        donations.frameScored(
          {
            socketId: `s${p}`,
            roomCode: 'BENCH',
            playerId: `p${p}`,
            ticket: { roundKey: `g:${round}`, receivedAt: clock.now() },
            crop: crops[(f + p) % crops.length] as Uint8Array,
          },
          { prompt: 'happy', match: meter, meter, counted: true },
          probs,
          start,
        );
        times[k++] = performance.now() - t0;
      }
    }
    return times.sort();
  };

  const results = (round: number): RoundResults => ({
    index: round,
    prompt: 'happy',
    entries: Array.from({ length: o.players }, (_, p) => ({
      playerId: `p${p}`,
      nickname: `p${p}`,
      points: 900,
      totalScore: 900,
      peak: 1,
    })),
  });

  // Warm-up round (JIT), then the measured ones.
  run(true, 0);
  donations.roundEnded('BENCH', results(0));
  await donations.flush();
  const off = run(false, 1);
  donations.roundEnded('BENCH', results(1));
  const on = run(true, 2);
  // A collection now, so the timings below are the work itself, not a pause for earlier garbage.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  let t0 = performance.now();
  donations.roundEnded('BENCH', results(2));
  const selectMs = performance.now() - t0;
  const rows = donations.stats.buffered;
  chunkMs.length = 0;
  gc?.();
  t0 = performance.now();
  await donations.flush();
  const flushMs = performance.now() - t0;
  const longestChunkMs = Math.max(0, ...chunkMs);
  await donations.close();
  const stored = await store.count();
  await store.close();
  rmSync(dir, { recursive: true, force: true });

  const us = (ms: number) => Math.round(ms * 1000 * 100) / 100;
  const summary = {
    players: o.players,
    framesPerPlayer: frames,
    hookUs: {
      notDonating: { p50: us(percentile(off, 0.5)), p99: us(percentile(off, 0.99)), max: us(off[off.length - 1] ?? 0) },
      donating: { p50: us(percentile(on, 0.5)), p99: us(percentile(on, 0.99)), max: us(on[on.length - 1] ?? 0) },
    },
    roundEndSelectMs: Math.round(selectMs * 100) / 100,
    flush: {
      rows,
      ms: Math.round(flushMs * 100) / 100,
      chunks: chunkMs.length,
      longestChunkMs: Math.round(longestChunkMs * 100) / 100,
    },
    storedRows: stored,
  };
  if (o.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  console.log(`round: ${o.players} donating players × ${frames} frames (${o.seconds} s at ${o.fps} fps)`);
  console.log(
    `per-frame hook, not donating: p50 ${summary.hookUs.notDonating.p50} µs, p99 ${summary.hookUs.notDonating.p99} µs, max ${summary.hookUs.notDonating.max} µs`,
  );
  console.log(
    `per-frame hook, donating:     p50 ${summary.hookUs.donating.p50} µs, p99 ${summary.hookUs.donating.p99} µs, max ${summary.hookUs.donating.max} µs`,
  );
  console.log(`round end, selection:         ${summary.roundEndSelectMs} ms (${rows} crops chosen)`);
  console.log(
    `batched write (SQLite):       ${summary.flush.ms} ms for ${rows} crops in ${summary.flush.chunks} transactions, ` +
      `longest ${summary.flush.longestChunkMs} ms (the event loop runs between them), from a timer after the round`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
