/**
 * Which tfjs backend runs face detection. Measured at start-up, because neither is always
 * better: WebGL on a real GPU is fastest, but on a machine without one Chromium falls back to
 * SwiftShader (software GL), where the same detector ran at ~0.5 detections/s against 14–20/s
 * on wasm. Pure: the measuring lives in face-detector.ts.
 */

export type DetectorBackend = 'webgl' | 'wasm' | 'cpu';

export interface BackendTrial {
  backend: DetectorBackend;
  /** False when the backend failed to initialise or to run the detector. */
  ok: boolean;
  /** Median milliseconds per detection on a warm backend. */
  msPerDetection: number;
}

export interface GpuInfo {
  /** UNMASKED_RENDERER_WEBGL or RENDERER string, '' when WebGL is unavailable. */
  renderer: string;
}

/** Renderers that are software rasterisers: WebGL there is slower than wasm SIMD. */
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

export function isHardwareAccelerated(gpu: GpuInfo): boolean {
  return gpu.renderer !== '' && !SOFTWARE_RENDERERS.test(gpu.renderer);
}

/** Whether WebGL is worth trying at all (a software renderer is skipped without measuring). */
export function backendsToTry(gpu: GpuInfo): DetectorBackend[] {
  return isHardwareAccelerated(gpu) ? ['webgl', 'wasm'] : ['wasm'];
}

/**
 * Picks the fastest backend that worked; webgl only if hardware-accelerated. Falls back to
 * 'cpu' (always available in tfjs) when nothing else ran.
 */
export function chooseBackend(trials: readonly BackendTrial[], gpu: GpuInfo): DetectorBackend {
  const usable = trials.filter(
    (t) => t.ok && Number.isFinite(t.msPerDetection) && (t.backend !== 'webgl' || isHardwareAccelerated(gpu)),
  );
  if (usable.length === 0) return 'cpu';
  usable.sort((a, b) => a.msPerDetection - b.msPerDetection);
  return usable[0]!.backend;
}
