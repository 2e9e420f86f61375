/** The WebGL renderer string: tells a real GPU from a software rasteriser (SwiftShader, llvmpipe). */
import type { GpuInfo } from './backend-choice.ts';

/** Reads the WebGL renderer string (the unmasked one when the browser allows). */
export function probeGpu(): GpuInfo {
  try {
    const canvas = document.createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return { renderer: '' };
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { renderer };
  } catch {
    return { renderer: '' };
  }
}
