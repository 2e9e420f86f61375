/** getUserMedia and the device picker. DOM-only; error wording lives in camera-errors.ts. */
import { safeGet, safeSet } from '../net/player-token.ts';
import { type CameraProblem, cameraProblemMessage, classifyCameraError, type PageContext } from './camera-errors.ts';

const DEVICE_KEY = 'emotion-arena:camera-device';

export function pageContext(): PageContext {
  return {
    isSecureContext: window.isSecureContext,
    hasMediaDevices: typeof navigator.mediaDevices?.getUserMedia === 'function',
    protocol: location.protocol,
    hostname: location.hostname,
    port: location.port,
  };
}

export type CameraResult =
  | { ok: true; stream: MediaStream; deviceId: string }
  | { ok: false; problem: CameraProblem; message: string };

export async function openCamera(deviceId?: string | null): Promise<CameraResult> {
  const ctx = pageContext();
  if (!ctx.hasMediaDevices) {
    const problem = classifyCameraError(null, ctx);
    return { ok: false, problem, message: cameraProblemMessage(problem, ctx) };
  }
  const wanted = deviceId ?? safeGet(localStorage, DEVICE_KEY);
  // 640×480 is plenty: the crop ends at 48×48, and smaller frames are cheaper to read back.
  const base: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: wanted ? { ...base, deviceId: { exact: wanted } } : { ...base, facingMode: 'user' },
    });
    const id = stream.getVideoTracks()[0]?.getSettings().deviceId ?? '';
    if (id) safeSet(localStorage, DEVICE_KEY, id);
    return { ok: true, stream, deviceId: id };
  } catch (err) {
    // A remembered camera that was unplugged: fall back to any camera once.
    if (wanted && (err as { name?: string }).name === 'OverconstrainedError') return openCamera(null);
    const problem = classifyCameraError(err, ctx);
    return { ok: false, problem, message: cameraProblemMessage(problem, ctx) };
  }
}

export async function listCameras(): Promise<MediaDeviceInfo[]> {
  try {
    const all = await navigator.mediaDevices.enumerateDevices();
    return all.filter((d) => d.kind === 'videoinput');
  } catch {
    return [];
  }
}

export function stopStream(stream: MediaStream | null): void {
  for (const t of stream?.getTracks() ?? []) t.stop();
}

/** Resolves once the video has decoded a real frame (readyState ≥ HAVE_CURRENT_DATA and a size). */
export function videoReady(video: HTMLVideoElement, timeoutMs = 10_000): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      video.removeEventListener('loadeddata', check);
      video.removeEventListener('resize', check);
      resolve(ok);
    };
    const check = () => {
      if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0) done(true);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    video.addEventListener('loadeddata', check);
    video.addEventListener('resize', check);
    check();
  });
}
