/** Client settings. URL prefixes mirror server/http/static-assets.ts (the client never imports server code). */
import { CLIENT_FRAME_RATE } from '../../shared/protocol.ts';

export const FACE_MODELS_URL = '/models/face-api';
export const TFJS_WASM_URL = '/vendor/tfjs-wasm/';

export interface ClientConfig {
  /** Frames sent per second during a round (?fps=N, default CLIENT_FRAME_RATE). */
  sendFps: number;
  /** Show the debug overlay (?debug=1, or the backtick key). */
  debug: boolean;
  /** Force a tfjs backend instead of measuring (?backend=wasm|webgl|cpu), for diagnosis. */
  forcedBackend: 'wasm' | 'webgl' | 'cpu' | null;
  /** TinyFaceDetector input size: small keeps CPU-only machines fast (multiple of 32). */
  detectorInputSize: number;
}

export function readClientConfig(search: string): ClientConfig {
  const q = new URLSearchParams(search);
  const fps = Number(q.get('fps'));
  const backend = q.get('backend');
  const inputSize = Number(q.get('inputSize'));
  return {
    sendFps: Number.isFinite(fps) && fps > 0 && fps <= 10 ? fps : CLIENT_FRAME_RATE,
    debug: q.get('debug') === '1',
    forcedBackend: backend === 'wasm' || backend === 'webgl' || backend === 'cpu' ? backend : null,
    // 160 matches scripts/measure-fer-crop.ts, so the box framing the crop is calibrated on is the same.
    detectorInputSize: Number.isInteger(inputSize) && inputSize >= 96 && inputSize % 32 === 0 ? inputSize : 160,
  };
}
