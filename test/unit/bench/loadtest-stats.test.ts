import { describe, expect, it } from 'vitest';
import {
  emptyCounters,
  formatSummary,
  mergeCounters,
  parseProcSample,
  parseStatCpuS,
  percentile,
  summarise,
} from '../../../bench/loadtest-stats.ts';

describe('loadtest stats', () => {
  it('nearest-rank percentiles', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(s, 50)).toBe(50);
    expect(percentile(s, 95)).toBe(95);
    expect(percentile(s, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('merges worker counters', () => {
    const a = {
      ...emptyCounters(),
      framesSent: 10,
      framesScored: 8,
      framesRejected: { WRONG_PHASE: 1 },
      latencies: [1, 2],
    };
    const b = {
      ...emptyCounters(),
      framesSent: 5,
      framesScored: 5,
      framesRejected: { WRONG_PHASE: 2, RATE_LIMITED: 1 },
      disconnects: 1,
      latencies: [3],
    };
    const m = mergeCounters([a, b]);
    expect(m.framesSent).toBe(15);
    expect(m.framesScored).toBe(13);
    expect(m.framesRejected).toEqual({ WRONG_PHASE: 3, RATE_LIMITED: 1 });
    expect(m.disconnects).toBe(1);
    expect(m.latencies).toEqual([1, 2, 3]);
  });

  it('parses /proc stat and status, including a command name with spaces', () => {
    const stat = '1234 (node main) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 1000000 5000';
    const status = 'Name:\tnode\nVmPeak:\t  900000 kB\nVmRSS:\t  204800 kB\n';
    expect(parseProcSample(stat, status)).toEqual({ cpuS: 3, rssMb: 200 });
  });

  it('summarises: dropped = sent − scored − rejected; CPU from samples', () => {
    const c = {
      ...emptyCounters(),
      framesSent: 100,
      framesScored: 90,
      framesRejected: { WRONG_PHASE: 4 },
      latencies: [5, 1, 3, 2, 4],
    };
    const s = summarise(c, { players: 4, rooms: 1, fps: 5, durationS: 10 }, [
      { t: 0, cpuS: 1, rssMb: 100 },
      { t: 2, cpuS: 2, rssMb: 150 },
    ]);
    expect(s.framesDropped).toBe(6);
    expect(s.p50Ms).toBe(3);
    expect(s.p99Ms).toBe(5);
    expect(s.serverCpuPct).toBe(50);
    expect(s.serverPeakRssMb).toBe(150);
    expect(s.scoredPerSec).toBe(9);
    const none = summarise(c, { players: 4, rooms: 1, fps: 5, durationS: 10 }, []);
    expect(none.serverCpuPct).toBeNull();
    expect(formatSummary(none)).toMatch(/server CPU\s+n\/a/);
  });

  it('reports CPU per scored frame: main thread apart from the other threads, and the load generator', () => {
    const c = { ...emptyCounters(), framesSent: 2000, framesScored: 1000, latencies: [1] };
    const s = summarise(c, { players: 4, rooms: 1, fps: 5, durationS: 10 }, [], {
      serverMainS: 0.3,
      serverTotalS: 0.8,
      loadgenS: 0.25,
    });
    expect(s.cpuPerFrameMs).toEqual({ serverMainMs: 0.3, serverOtherMs: 0.5, loadgenMs: 0.25 });
    expect(formatSummary(s)).toMatch(
      /server main thread 0\.3 ms, server other threads 0\.5 ms, load generator 0\.25 ms/,
    );
    // Nothing scored: no per-frame figure rather than Infinity.
    expect(
      summarise({ ...c, framesScored: 0 }, { players: 4, rooms: 1, fps: 5, durationS: 10 }, [], {
        serverMainS: 1,
        serverTotalS: 1,
        loadgenS: 1,
      }).cpuPerFrameMs,
    ).toBeNull();
  });

  it('reads utime + stime from a stat line whose command name has spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 7 0 100 0 0';
    expect(parseStatCpuS(stat)).toBe(3);
  });
});
