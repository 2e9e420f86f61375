/**
 * The capture pipeline: camera → (checked) pixels → face detection → largest face →
 * FER-framed crop → BT.601 grey 48×48 → onFrame. Sends only while `sending` is set (a round
 * is running and we are a player) and the tab is visible, at `sendFps`; between rounds it
 * keeps detecting slowly so the camera preview can show the face box.
 */
import type { EventBus } from '../core/event-bus.ts';
import type { DetectorBackend } from './backend-choice.ts';
import { type CameraResult, openCamera, stopStream, videoReady } from './camera.ts';
import { type CaptureStatus, emptyCaptureStatus } from './capture-status.ts';
import { type Box, cropRectForBox, largestBox, scaleBox } from './crop-geometry.ts';
import { type DetectorInfo, FaceDetector } from './face-detector.ts';
import { FrameGrabber } from './frame-grabber.ts';
import { hasImageContent } from './grayscale.ts';
import { detectionIntervalMs, FramePacer, RateMeter } from './rate.ts';

/** Detections per second between rounds: enough for a live face box, light on the CPU. */
const PREVIEW_FPS = 4;
/** A face box older than this is not used for cropping (the player may have moved away). */
const MAX_BOX_AGE_MS = 600;

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
  private readonly detector: FaceDetector;
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
    this.detector = new FaceDetector(options.detectorInputSize);
    this.pacer = new FramePacer(PREVIEW_FPS);
    this.video = document.createElement('video');
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.autoplay = true;
    this.video.setAttribute('aria-label', 'Your camera preview');
    document.addEventListener('visibilitychange', () => {
      this.refreshPaused();
      this.emit(true);
    });
  }

  /** Loads face-api and measures the backends once; safe to call repeatedly. */
  initDetector(): Promise<DetectorInfo> {
    this.detectorReady ??= this.detector.init(this.options.forcedBackend).then((info) => {
      this.detectorInfo = info;
      this.status.backend = info.backend;
      this.emit(true);
      return info;
    });
    return this.detectorReady;
  }

  get hasCamera(): boolean {
    return this.stream !== null;
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
    this.video.srcObject = res.stream;
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
    this.video.srcObject = null;
    this.status.camera = 'off';
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
        this.pacer.take(now);
        await this.nextVideoFrame();
        if (!this.stream) break;
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
        resolve();
      });
    });
  }

  private async step(): Promise<void> {
    const video = this.video;
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) return;
    let now = performance.now();
    if (now - this.lastDetectAt >= detectionIntervalMs(this.pacer.intervalMs, this.lastDetectMs)) {
      const image = this.grabber.grabDetectionImage(video);
      if (!hasImageContent(image.data)) {
        this.blankFrames++;
        return;
      }
      const t0 = performance.now();
      const boxes = await this.detector.detectImageData(image);
      now = performance.now();
      this.lastDetectMs = now - t0;
      this.lastDetectAt = now;
      this.detectMeter.tick(now);
      this.lastBoxes = boxes.map((b) => ({ box: scaleBox(b, this.grabber.scale) }));
    }
    const fresh = now - this.lastDetectAt <= MAX_BOX_AGE_MS;
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

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
