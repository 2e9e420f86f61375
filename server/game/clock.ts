/** The server's only clock. Injected everywhere so tests run with a fake one. */
export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export function createSystemClock(): Clock {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = next++;
      const t = setTimeout(() => {
        timers.delete(id);
        fn();
      }, ms);
      t.unref?.();
      timers.set(id, t);
      return { id };
    },
    clearTimeout(handle) {
      const t = timers.get(handle.id);
      if (t) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
}

/** A clock that only moves when told to; timers fire in due order during `advance`. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  pendingTimers(): number;
}

export function createManualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  let next = 1;
  const timers = new Map<number, { due: number; seq: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(id, { due: now + Math.max(0, ms), seq: id, fn });
      return { id };
    },
    clearTimeout(handle) {
      timers.delete(handle.id);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let best: [number, { due: number; seq: number; fn: () => void }] | null = null;
        for (const entry of timers) {
          if (entry[1].due > target) continue;
          if (!best || entry[1].due < best[1].due || (entry[1].due === best[1].due && entry[1].seq < best[1].seq))
            best = entry;
        }
        if (!best) break;
        timers.delete(best[0]);
        now = Math.max(now, best[1].due);
        best[1].fn();
      }
      now = target;
    },
    pendingTimers: () => timers.size,
  };
}
