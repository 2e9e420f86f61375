import { describe, expect, it } from 'vitest';
import { backendsToTry, chooseBackend, isHardwareAccelerated } from '../../../client/src/capture/backend-choice.ts';

const swiftshader = { renderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)' };
const nvidia = { renderer: 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)' };

describe('backend choice', () => {
  it('recognises software renderers', () => {
    expect(isHardwareAccelerated(swiftshader)).toBe(false);
    expect(isHardwareAccelerated({ renderer: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(false);
    expect(isHardwareAccelerated({ renderer: '' })).toBe(false);
    expect(isHardwareAccelerated(nvidia)).toBe(true);
  });

  it('does not even try webgl on a software renderer', () => {
    expect(backendsToTry(swiftshader)).toEqual(['wasm']);
    expect(backendsToTry(nvidia)).toEqual(['webgl', 'wasm']);
  });

  it('picks the faster measured backend on a real GPU', () => {
    expect(
      chooseBackend(
        [
          { backend: 'webgl', ok: true, msPerDetection: 6 },
          { backend: 'wasm', ok: true, msPerDetection: 20 },
        ],
        nvidia,
      ),
    ).toBe('webgl');
    expect(
      chooseBackend(
        [
          { backend: 'webgl', ok: true, msPerDetection: 40 },
          { backend: 'wasm', ok: true, msPerDetection: 20 },
        ],
        nvidia,
      ),
    ).toBe('wasm');
  });

  it('never picks webgl on a software renderer even if it measured faster', () => {
    expect(
      chooseBackend(
        [
          { backend: 'webgl', ok: true, msPerDetection: 5 },
          { backend: 'wasm', ok: true, msPerDetection: 20 },
        ],
        swiftshader,
      ),
    ).toBe('wasm');
  });

  it('skips failed backends and falls back to cpu when nothing ran', () => {
    expect(
      chooseBackend(
        [
          { backend: 'webgl', ok: false, msPerDetection: Number.POSITIVE_INFINITY },
          { backend: 'wasm', ok: true, msPerDetection: 30 },
        ],
        nvidia,
      ),
    ).toBe('wasm');
    expect(chooseBackend([{ backend: 'wasm', ok: false, msPerDetection: Number.POSITIVE_INFINITY }], nvidia)).toBe(
      'cpu',
    );
  });
});
