/** Frame pacing and throughput measurement for the capture loop. Pure; time is passed in. */

/**
 * Paces sends to `fps` per second without drifting: the next slot is scheduled from the
 * previous slot, not from when the work finished, but never lets a backlog burst out after
 * a stall (a hidden tab, a slow detection).
 */
export class FramePacer {
  private next = 0;
  constructor(private fps: number) {}

  setRate(fps: number): void {
    this.fps = fps;
  }

  get intervalMs(): number {
    return 1000 / Math.max(0.1, this.fps);
  }

  /** True when a frame may go out now; claims the slot. */
  take(now: number): boolean {
    if (now < this.next) return false;
    const interval = this.intervalMs;
    this.next = now - this.next > interval ? now + interval : this.next + interval;
    return true;
  }

  /** Milliseconds until the next slot (0 when due). */
  waitMs(now: number): number {
    return Math.max(0, this.next - now);
  }

  reset(): void {
    this.next = 0;
  }
}

/** Events per second over a sliding window (default 3 s). */
export class RateMeter {
  private stamps: number[] = [];
  constructor(private readonly windowMs = 3000) {}

  tick(now: number): void {
    this.stamps.push(now);
    this.trim(now);
  }

  rate(now: number): number {
    this.trim(now);
    if (this.stamps.length < 2) return 0;
    const span = now - this.stamps[0]!;
    return span > 0 ? (this.stamps.length - 1) / (span / 1000) : 0;
  }

  private trim(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.stamps.length > 0 && this.stamps[0]! < cutoff) this.stamps.shift();
  }
}

/**
 * How often to run the detector. Normally on every frame sent; when a detection costs more than
 * ~40 % of the frame interval (a busy CPU without GPU), detect less often and crop the frames in
 * between from the last box: a face barely moves in 200 ms, and the send rate stays steady.
 */
export function detectionIntervalMs(frameIntervalMs: number, lastDetectMs: number): number {
  return Math.max(frameIntervalMs * 0.9, lastDetectMs * 2.5);
}
