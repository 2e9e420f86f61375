/**
 * The camera picture survives scene changes: the capture controller's video (camera-video.ts)
 * is lent to scenes and never leaves the page, and its watchdog (video-watchdog.ts) resumes a
 * paused picture, puts back a detached one, reopens an ended or frozen camera, and says that
 * frames must stop while the picture is not live. Driven with a fake video element that
 * behaves like a browser's: taken out of the page, it pauses, and nothing resumes it by itself.
 */
import { describe, expect, it } from 'vitest';
import { CameraVideo, type MountLike } from '../../../client/src/capture/camera-video.ts';
import { VideoWatchdog } from '../../../client/src/capture/video-watchdog.ts';

class FakeBox implements MountLike<FakeVideo> {
  constructor(
    readonly name: string,
    public attached = true,
  ) {}
  append(v: FakeVideo): void {
    v.moveTo(this);
  }
  /** The box leaves the page, with whatever is in it. */
  remove(video: FakeVideo): void {
    this.attached = false;
    if (video.parent === this) video.moveTo(this);
  }
}

/** A browser-like <video>: detaching pauses it (HTML's "removed from a document" steps). */
class FakeVideo {
  paused = true;
  srcObject: MediaProvider | null = null;
  readyState = 4;
  currentTime = 0;
  parent: FakeBox | null = null;
  plays = 0;
  /** When false, play() is refused (as a browser may without a user gesture). */
  playable = true;
  get isConnected(): boolean {
    return this.parent?.attached ?? false;
  }
  moveTo(box: FakeBox | null): void {
    this.parent = box;
    if (!this.isConnected) this.paused = true;
  }
  play(): Promise<void> {
    this.plays++;
    if (!this.playable || !this.isConnected) return Promise.reject(new Error('NotAllowedError'));
    this.paused = false;
    return Promise.resolve();
  }
  /** The stream delivers a frame (only while playing). */
  tick(ms: number): void {
    if (!this.paused) this.currentTime += ms / 1000;
  }
}

function setUp() {
  let now = 0;
  const dock = new FakeBox('dock');
  const video = new FakeVideo();
  const camera = new CameraVideo<FakeVideo>(video, dock);
  const track = { readyState: 'live' as 'live' | 'ended' };
  const restarts: number[] = [];
  const watchdog = new VideoWatchdog({
    video,
    track: () => (video.srcObject ? track : null),
    now: () => now,
    redock: () => camera.redock(),
    resume: () => camera.resume(),
    restart: () => restarts.push(now),
  });
  camera.setStream({} as MediaStream);
  watchdog.reset();
  /** Advances time in 100 ms steps, the stream running, checking like the capture loop does. */
  const run = (ms: number, strict = true) => {
    let last = watchdog.check(strict);
    for (let t = 0; t < ms; t += 100) {
      now += 100;
      video.tick(100);
      last = watchdog.check(strict);
    }
    return last;
  };
  return { dock, video, camera, track, watchdog, restarts, run };
}

describe('the camera video lent to scenes', () => {
  it('stays playing through lobby → round → results → round → final → lobby', () => {
    const { video, camera, dock, run } = setUp();
    expect(video.paused).toBe(false);
    for (const scene of ['lobby', 'round', 'results', 'round', 'final', 'lobby']) {
      const box = new FakeBox(scene);
      const giveBack = camera.borrow(box);
      expect(video.parent).toBe(box);
      expect(video.paused).toBe(false);
      expect(run(1500).live).toBe(true);
      // The scene ends: its box leaves the page after the video went back to the dock.
      giveBack();
      box.remove(video);
      expect(video.parent).toBe(dock);
      expect(video.paused).toBe(false);
    }
  });

  it('a late give-back from an old scene does not take the video from the new one', () => {
    const { video, camera } = setUp();
    const oldScene = new FakeBox('round');
    const newScene = new FakeBox('results');
    const giveBackOld = camera.borrow(oldScene);
    camera.borrow(newScene);
    giveBackOld();
    expect(video.parent).toBe(newScene);
    expect(video.paused).toBe(false);
  });
});

describe('the watchdog', () => {
  it('puts back and resumes a video a scene took out of the page (the round-2 freeze)', () => {
    const { video, run, dock } = setUp();
    // What CameraPreview.destroy() used to do: the element leaves the page with its box.
    const box = new FakeBox('round');
    video.moveTo(box);
    box.remove(video);
    expect(video.paused).toBe(true);
    const first = run(0);
    expect(first).toMatchObject({ live: false, problem: 'detached' });
    expect(video.parent).toBe(dock);
    expect(run(300).live).toBe(true);
    expect(video.paused).toBe(false);
  });

  it('resumes a paused video, and reports it as not live until it plays', () => {
    const { video, run } = setUp();
    run(500);
    video.paused = true;
    video.playable = false;
    const h = run(100);
    expect(h).toMatchObject({ live: false, problem: 'paused' });
    expect(video.plays).toBeGreaterThan(1);
    video.playable = true;
    expect(run(500).live).toBe(true);
  });

  it('a picture whose clock stands still for over 1 s during a round is frozen: no frames, then a camera restart', () => {
    const { video, run, restarts } = setUp();
    run(500);
    // Frames stop arriving although the element says it plays (a hung camera).
    video.tick = () => {};
    expect(run(900).live).toBe(true);
    const frozen = run(300);
    expect(frozen).toMatchObject({ live: false, problem: 'stalled' });
    expect(frozen.stalledMs).toBeGreaterThan(1000);
    expect(restarts).toEqual([]);
    const longer = run(2000);
    expect(longer.problem).toBe('stalled');
    expect(restarts).toHaveLength(1);
    // One restart per 10 s at most: a camera that stays dead is reported, not hammered.
    run(5000);
    expect(restarts).toHaveLength(1);
    run(6000);
    expect(restarts).toHaveLength(2);
  });

  it('between rounds a short stall is tolerated (a busy tab), a long one is not', () => {
    const { video, run } = setUp();
    run(500, false);
    video.tick = () => {};
    expect(run(1500, false).live).toBe(true);
    expect(run(2000, false)).toMatchObject({ live: false, problem: 'stalled' });
  });

  it('an ended track (camera unplugged, permission revoked) restarts the camera', () => {
    const { track, run, restarts } = setUp();
    run(500);
    track.readyState = 'ended';
    expect(run(100)).toMatchObject({ live: false, problem: 'ended' });
    expect(restarts).toHaveLength(1);
  });

  it('a new stream starts with a fresh clock', () => {
    const { video, run, watchdog } = setUp();
    video.tick = () => {};
    expect(run(1500).problem).toBe('stalled');
    watchdog.reset();
    video.tick = (ms) => {
      video.currentTime += ms / 1000;
    };
    expect(run(300).live).toBe(true);
  });

  it('no camera open: nothing to watch, nothing to restart', () => {
    const { camera, run, restarts } = setUp();
    camera.setStream(null);
    expect(run(5000)).toMatchObject({ live: false, problem: null });
    expect(restarts).toEqual([]);
  });
});
