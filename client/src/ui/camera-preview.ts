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

  constructor(capture: CaptureController, bus: EventBus) {
    this.overlay = h('canvas', { class: 'face-box', 'aria-hidden': 'true' });
    this.statusEl = h('p', { class: 'camera-status', role: 'status', 'aria-live': 'polite' });
    this.el = h('div', { class: 'camera-preview' }, capture.video, this.overlay);
    this.unsub = bus.on('capture', (s) => this.render(s));
    this.render(capture.status);
  }

  destroy(): void {
    this.unsub();
    this.el.remove();
    this.statusEl.remove();
  }

  private render(s: CaptureStatus): void {
    this.el.dataset.face = s.faceBox ? 'yes' : 'no';
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
    g.strokeStyle = s.sending ? '#3ddc97' : '#ffd23f';
    const b = s.faceBox;
    g.strokeRect(b.x, b.y, b.width, b.height);
  }
}

export function statusLine(s: CaptureStatus): string {
  if (s.camera === 'off') return 'Camera is off.';
  if (s.camera === 'starting') return 'Starting camera…';
  if (s.camera === 'error') return s.cameraMessage ?? 'Camera error.';
  if (s.backend === null) return 'Loading face detector…';
  if (s.facesInView === 0) return 'No face in view: move into the light and face the camera.';
  const many = s.facesInView > 1 ? ` ${s.facesInView} faces in view: scoring the largest.` : '';
  if (s.pausedReason === 'hidden') return `Paused while this tab is hidden.${many}`;
  if (s.sending) return `Face found: sending ${s.sendFps.toFixed(1)} frames/s.${many}`;
  return `Face found ✓${many}`;
}
