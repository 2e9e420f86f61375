import { describe, expect, it } from 'vitest';
import { detectionIntervalMs, FramePacer, RateMeter } from '../../../client/src/capture/rate.ts';

describe('FramePacer', () => {
  it('allows 5 frames per second when polled often', () => {
    const p = new FramePacer(5);
    let sent = 0;
    for (let t = 0; t < 2000; t += 10) if (p.take(t)) sent++;
    expect(sent).toBe(10);
  });

  it('does not burst to catch up after a stall', () => {
    const p = new FramePacer(5);
    p.take(0);
    // 3 s stall (hidden tab): one frame now, the next only an interval later.
    expect(p.take(3000)).toBe(true);
    expect(p.take(3010)).toBe(false);
    expect(p.waitMs(3010)).toBe(190);
    expect(p.take(3200)).toBe(true);
  });

  it('changes rate', () => {
    const p = new FramePacer(5);
    p.setRate(10);
    let sent = 0;
    for (let t = 0; t < 1000; t += 5) if (p.take(t)) sent++;
    expect(sent).toBe(10);
  });
});

describe('RateMeter', () => {
  it('measures events per second over its window', () => {
    const m = new RateMeter(3000);
    for (let t = 0; t <= 2000; t += 200) m.tick(t);
    expect(m.rate(2000)).toBeCloseTo(5, 5);
    // Old events fall out of the window.
    expect(m.rate(10_000)).toBe(0);
  });
});

describe('detectionIntervalMs', () => {
  it('detects on every frame while detection is cheap', () => {
    expect(detectionIntervalMs(200, 20)).toBe(180);
  });
  it('detects less often when detection is slow, so frames keep their rate', () => {
    expect(detectionIntervalMs(200, 120)).toBe(300);
  });
});
