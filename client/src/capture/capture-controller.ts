/**
 * The capture pipeline: camera → (checked) pixels → face detection → largest face →
 * FER-framed crop → BT.601 grey 48×48 → onFrame. Sends only while `sending` is set (a round
 * is running and we are a player) and the tab is visible, at `sendFps`; between rounds it
 * keeps detecting slowly so the camera preview can show the face box.
 *
 * It owns the camera for as long as the page lives: the stream, the one <video> (scenes borrow
 * it, see camera-video.ts) and a watchdog that resumes a paused picture, reopens an ended or
 * frozen camera, and stops frames while the picture is not live.
 * face-api and tfjs are loaded on first use (a separate chunk), so the menus do not wait for them.
 */
import type { EventBus } from '../core/event-bus.ts';
import type { DetectorBackend } from './backend-choice.ts';
import { type CameraResult, openCamera, stopStream, videoReady } from './camera.ts';
import { CameraVideo, type MountLike } from './camera-video.ts';
import { type CaptureStatus, emptyCaptureStatus } from './capture-status.ts';
import { type Box, cropRectForBox, largestBox, scaleBox } from './crop-geometry.ts';
import type { DetectorInfo, FaceDetector } from './face-detector.ts';
import { FrameGrabber } from './frame-grabber.ts';
import { hasImageContent } from './grayscale.ts';
import { detectionIntervalMs, FramePacer, RateMeter } from './rate.ts';
import { VideoWatchdog } from './video-watchdog.ts';

/** Detections per second between rounds: enough for a live face box, light on the CPU. */
const PREVIEW_FPS = 4;
/**
 * A face box is used for cropping for at least MIN_BOX_AGE_MS and at most MAX_BOX_AGE_MS, and in
 * between for as long as detections are apart (the player may have moved away meanwhile).
 */
const MIN_BOX_AGE_MS = 600;
const MAX_BOX_AGE_MS = 1500;

export interface CaptureOptions {
  sendFps: number;
  detectorInputSize: number;
  forcedBackend: DetectorBackend | null;
}

export class CaptureController {
  readonly video: HTMLVideoElement;
  readonly status: CaptureStatus = emptyCaptureStatus();
  /** Called with each frame to send. */
  onFrame: (seq: number, data: Uint8Array) => void = () => {};
  lastFrame: Uint8Array | null = null;
  detectorInfo: DetectorInfo | null = null;
  private detector: FaceDetector | null = null;
  private readonly cameraVideo: CameraVideo;
  private readonly watchdog: VideoWatchdog;
  private deviceId: string | null = null;
  private restarting = false;
  private readonly grabber = new FrameGrabber();
  private readonly pacer: FramePacer;
  private readonly detectMeter = new RateMeter();
  private readonly sendMeter = new RateMeter();
  private stream: MediaStream | null = null;
  private detectorReady: Promise<DetectorInfo> | null = null;
  private wantSend = false;
  private seq = 0;
  private loopRunning = false;
  private lastEmit = 0;
  private lastDetectAt = Number.NEGATIVE_INFINITY;
  private lastDetectMs = 0;
  private lastBoxes: { box: Box }[] = [];
  /** Frames whose pixels were blank (video not decoding yet): exposed for diagnosis. */
  blankFrames = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly options: CaptureOptions,
  ) {
    this.pacer = new FramePacer(PREVIEW_FPS);
    this.video = document.createElement('video');
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.autoplay = true;
    this.video.setAttribute('aria-label', 'Your camera preview');
    // Where the video waits between scenes: in the page and rendered (1 px, invisible), so it
    // keeps playing and presenting frames.
    const dock = document.createElement('div');
    dock.id = 'camera-dock';
    dock.setAttribute('aria-hidden', 'true');
    document.body.append(dock);
    this.cameraVideo = new CameraVideo<HTMLVideoElement>(this.video, dock);
    this.watchdog = new VideoWatchdog({
      video: this.video,
      track: () => this.stream?.getVideoTracks()[0] ?? null,
      now: () => performance.now(),
      redock: () => this.cameraVideo.redock(),
      resume: () => this.cameraVideo.resume(),
      restart: () => void this.restartCamera(),
    });
    document.addEventListener('visibilitychange', () => {
      this.refreshPaused();
      this.emit(true);
    });
  }

  /** Loads face-api and measures the backends once; safe to call repeatedly. */
  initDetector(): Promise<DetectorInfo> {
    if (this.detectorReady) return this.detectorReady;
    this.detectorReady = import('./face-detector.ts').then(async ({ FaceDetector }) => {
      const detector = new FaceDetector(this.options.detectorInputSize);
      const info = await detector.init(this.options.forcedBackend);
      this.detector = detector;
      this.detectorInfo = info;
      this.status.backend = info.backend;
      this.emit(true);
      return info;
    });
    // A failed load (a network blip fetching the chunk) is tried again by the next caller.
    this.detectorReady.catch(() => {
      this.detectorReady = null;
    });
    return this.detectorReady;
  }

  get hasCamera(): boolean {
    return this.stream !== null;
  }

  /** The camera in use (device id), null when none is open. */
  get currentDeviceId(): string | null {
    return this.stream ? this.deviceId : null;
  }

  /** Lends the camera picture to a scene; call the returned function when the scene ends. */
  borrowVideo(into: MountLike<HTMLVideoElement>): () => void {
    return this.cameraVideo.borrow(into);
  }

  async startCamera(deviceId?: string | null): Promise<CameraResult> {
    this.status.camera = 'starting';
    this.status.cameraMessage = null;
    this.emit(true);
    stopStream(this.stream);
    this.stream = null;
    const res = await openCamera(deviceId);
    if (!res.ok) {
      this.status.camera = 'error';
      this.status.cameraMessage = res.message;
      this.refreshPaused();
      this.emit(true);
      return res;
    }
    this.stream = res.stream;
    this.deviceId = res.deviceId || null;
    this.cameraVideo.setStream(res.stream);
    this.watchdog.reset();
    await this.video.play().catch(() => {});
    await videoReady(this.video);
    this.status.camera = 'on';
    this.status.videoWidth = this.video.videoWidth;
    this.status.videoHeight = this.video.videoHeight;
    this.refreshPaused();
    this.emit(true);
    void this.runLoop();
    return res;
  }

  stopCamera(): void {
    stopStream(this.stream);
    this.stream = null;
    this.cameraVideo.setStream(null);
    this.status.camera = 'off';
    this.status.videoProblem = null;
    this.status.faceBox = null;
    this.refreshPaused();
    this.emit(true);
  }

  /** The round director turns sending on for the round phase (players only). */
  setSending(on: boolean): void {
    if (on === this.wantSend) return;
    this.wantSend = on;
    this.pacer.setRate(on ? this.options.sendFps : PREVIEW_FPS);
    this.pacer.reset();
    this.refreshPaused();
    this.emit(true);
  }

  private refreshPaused(): void {
    let reason: CaptureStatus['pausedReason'] = null;
    if (!this.stream) reason = 'no-camera';
    else if (!this.wantSend) reason = 'no-round';
    else if (document.hidden) reason = 'hidden';
    else if (this.status.videoProblem) reason = 'frozen';
    else if (!this.status.faceBox) reason = 'no-face';
    this.status.pausedReason = reason;
    this.status.sending = reason === null;
  }

  private async runLoop(): Promise<void> {
    if (this.loopRunning) return;
    this.loopRunning = true;
    try {
      await this.initDetector();
      while (this.stream) {
        const now = performance.now();
        const wait = this.pacer.waitMs(now);
        if (wait > 0 || document.hidden) {
          // Hidden tab: the browser throttles timers anyway; nothing is sent.
          await sleep(document.hidden ? 250 : wait);
          continue;
        }
        if (!this.checkVideo()) {
          await sleep(200);
          continue;
        }
        this.pacer.take(now);
        await this.nextVideoFrame();
        if (!this.stream) break;
        if (!this.checkVideo()) continue;
        await this.step();
      }
    } catch (err) {
      console.error('[arena] capture loop stopped', err);
      this.status.camera = 'error';
      this.status.cameraMessage = `Face detection stopped: ${String(err)}`;
      this.emit(true);
    } finally {
      this.loopRunning = false;
    }
  }

  /** Waits for a newly decoded frame when the browser can tell us (requestVideoFrameCallback). */
  private nextVideoFrame(): Promise<void> {
    const v = this.video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    if (typeof v.requestVideoFrameCallback !== 'function') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 250);
      v.requestVideoFrameCallback!(() => {
        clearTimeout(timer);
        this.watchdog.framePresented();
        resolve();
      });
    });
  }

  /**
   * Asks the watchdog whether the picture is live (it repairs what it can); frames are read
   * only from a live picture. Returns false while it is not.
   */
  private checkVideo(): boolean {
    const health = this.watchdog.check(this.wantSend);
    const problem = health.problem;
    const changed = problem !== this.status.videoProblem || health.restarts !== this.status.cameraRestarts;
    this.status.videoProblem = problem;
    this.status.cameraRestarts = health.restarts;
    if (problem) {
      // A frozen picture shows no face we could trust.
      this.status.faceBox = null;
      this.lastBoxes = [];
    }
    if (changed) {
      if (problem) console.warn(`[arena] camera picture ${problem} for ${Math.round(health.stalledMs)} ms`);
      this.refreshPaused();
      this.emit(true);
    }
    return health.live;
  }

  /** Reopens the same camera (an ended track, or a picture frozen for seconds). */
  private async restartCamera(): Promise<void> {
    if (this.restarting || !this.stream) return;
    this.restarting = true;
    try {
      await this.startCamera(this.deviceId);
    } finally {
      this.restarting = false;
    }
  }

  private async step(): Promise<void> {
    const video = this.video;
    const detector = this.detector;
    if (!detector) return;
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) return;
    let now = performance.now();
    const detectEvery = detectionIntervalMs(this.pacer.intervalMs, this.lastDetectMs);
    if (now - this.lastDetectAt >= detectEvery) {
      const image = this.grabber.grabDetectionImage(video);
      if (!hasImageContent(image.data)) {
        this.blankFrames++;
        return;
      }
      const t0 = performance.now();
      const boxes = await detector.detectImageData(image);
      now = performance.now();
      this.lastDetectMs = now - t0;
      this.lastDetectAt = now;
      this.detectMeter.tick(now);
      this.lastBoxes = boxes.map((b) => ({ box: scaleBox(b, this.grabber.scale) }));
    }
    // A box is fresh until the next detection is due (with slack): when detection is slow the
    // frames in between are cropped from it, as detectionIntervalMs intends, instead of stopping.
    const fresh = now - this.lastDetectAt <= Math.min(MAX_BOX_AGE_MS, Math.max(MIN_BOX_AGE_MS, detectEvery * 1.5));
    const faces = fresh ? this.lastBoxes : [];
    const face = largestBox(faces);
    this.status.facesInView = faces.length;
    this.status.faceBox = face?.box ?? null;
    this.status.videoWidth = video.videoWidth;
    this.status.videoHeight = video.videoHeight;
    this.refreshPaused();
    if (this.status.sending && face) {
      const crop = cropRectForBox(face.box, this.grabber.videoSize(video));
      const frame = this.grabber.grabFrame(video, crop);
      // The same camera frame cropped the same way again (no new frame arrived in time): two
      // identical crops are a replay to the server, so it is not sent twice.
      if (this.lastFrame && sameBytes(frame, this.lastFrame)) {
        this.emit(false);
        return;
      }
      this.lastFrame = frame;
      this.onFrame(this.seq++, frame);
      this.status.framesSent++;
      this.sendMeter.tick(now);
    }
    this.status.detectFps = round1(this.detectMeter.rate(now));
    this.status.sendFps = round1(this.sendMeter.rate(now));
    this.emit(false);
  }

  private emit(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastEmit < 100) return;
    this.lastEmit = now;
    this.bus.emit('capture', { ...this.status });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
