/**
 * The player's own camera preview with the detected face box, plus a one-line status.
 * Mirrored like a selfie camera (people expect that); the frame sent is not mirrored,
 * because FER2013 images are not.
 */
import type { CaptureController } from '../capture/capture-controller.ts';
import type { CaptureStatus } from '../capture/capture-status.ts';
import type { EventBus } from '../core/event-bus.ts';
import { h } from './dom.ts';

export class CameraPreview {
  readonly el: HTMLDivElement;
  readonly statusEl: HTMLParagraphElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly unsub: () => void;
  private readonly giveBack: () => void;
  private status: CaptureStatus;
  /** The server counts our latest frames (from frameFeedback). */
  private counting = false;

  constructor(capture: CaptureController, bus: EventBus) {
    this.status = capture.status;
    this.overlay = h('canvas', { class: 'face-box', 'aria-hidden': 'true' });
    this.statusEl = h('p', { class: 'camera-status', role: 'status', 'aria-live': 'polite' });
    this.el = h('div', { class: 'camera-preview' }, this.overlay);
    // Borrowed, never owned: the video goes back to the capture controller (still playing) on destroy.
    this.giveBack = capture.borrowVideo({ append: (v) => this.el.insertBefore(v, this.overlay) });
    const offCapture = bus.on('capture', (s) => {
      this.status = s;
      this.render();
    });
    const offFeedback = bus.on('frameFeedback', (f) => {
      this.counting = f.counting;
      this.render();
    });
    this.unsub = () => {
      offCapture();
      offFeedback();
    };
    this.status = capture.status;
    this.render();
  }

  destroy(): void {
    this.unsub();
    // Give the video back before the box leaves the page: a detached video is paused by the browser.
    this.giveBack();
    this.el.remove();
    this.statusEl.remove();
  }

  private render(): void {
    const s = this.status;
    this.el.dataset.face = s.faceBox ? 'yes' : 'no';
    // Green means "this works": a face in the camera check, frames that count in a round.
    // While sending, a frame the server does not count turns it orange, never green.
    const ring = s.sending ? (this.counting ? 'ok' : 'warn') : s.faceBox ? 'ok' : 'none';
    this.el.dataset.ring = ring;
    // No picture to show: the status line below explains why.
    this.el.hidden = s.camera === 'error' || s.camera === 'off';
    this.statusEl.textContent = statusLine(s);
    const c = this.overlay;
    const w = s.videoWidth || 640;
    const hgt = s.videoHeight || 480;
    if (c.width !== w || c.height !== hgt) {
      c.width = w;
      c.height = hgt;
    }
    const g = c.getContext('2d');
    if (!g) return;
    g.clearRect(0, 0, w, hgt);
    if (!s.faceBox) return;
    g.lineWidth = Math.max(3, w / 160);
    g.strokeStyle = ring === 'ok' ? '#3ddc97' : '#ffd23f';
    const b = s.faceBox;
    g.strokeRect(b.x, b.y, b.width, b.height);
  }
}

export function statusLine(s: CaptureStatus): string {
  if (s.camera === 'off') return 'Camera is off.';
  if (s.camera === 'starting') return 'Starting camera…';
  if (s.camera === 'error') return s.cameraMessage ?? 'Camera error.';
  if (s.videoProblem) return frozenLine(s);
  if (s.backend === null) return 'Loading face detector…';
  if (s.facesInView === 0) return 'No face in view: move into the light and face the camera.';
  const many = s.facesInView > 1 ? ` ${s.facesInView} faces in view: scoring the largest.` : '';
  if (s.pausedReason === 'hidden') return `Paused while this tab is hidden.${many}`;
  if (s.sending) return `Face found: sending ${s.sendFps.toFixed(1)} frames/s.${many}`;
  return `Face found ✓${many}`;
}

/** The camera picture stopped moving: say so, and that we are on it. */
export function frozenLine(s: CaptureStatus): string {
  if (s.videoProblem === 'ended') return 'Your camera stopped: reopening it…';
  return 'Your camera picture is frozen: restarting it…';
}
