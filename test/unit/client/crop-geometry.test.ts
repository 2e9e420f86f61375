import { describe, expect, it } from 'vitest';
import {
  cropRectForBox,
  detectionCanvasSize,
  FER_FRAMING,
  largestBox,
  scaleBox,
} from '../../../client/src/capture/crop-geometry.ts';

describe('cropRectForBox', () => {
  const video = { width: 640, height: 480 };

  it('applies the measured FER framing: side and centre offset relative to the box', () => {
    const box = { x: 200, y: 100, width: 200, height: 200 };
    const crop = cropRectForBox(box, video);
    expect(crop.width).toBe(crop.height);
    expect(crop.width).toBe(Math.round(200 * FER_FRAMING.sidePerBoxSide));
    const cx = crop.x + crop.width / 2;
    const cy = crop.y + crop.height / 2;
    expect(cx).toBeCloseTo(300 + FER_FRAMING.centreOffsetX * 200, 0);
    expect(cy).toBeCloseTo(200 + FER_FRAMING.centreOffsetY * 200, 0);
  });

  it('uses the geometric mean of a non-square box as its side', () => {
    const crop = cropRectForBox(
      { x: 100, y: 100, width: 100, height: 400 },
      { width: 2000, height: 2000 },
      {
        sidePerBoxSide: 1,
        centreOffsetX: 0,
        centreOffsetY: 0,
      },
    );
    expect(crop.width).toBe(200);
    expect(crop).toEqual({ x: 50, y: 200, width: 200, height: 200 });
  });

  it('shifts a crop that would leave the frame back inside without shrinking it', () => {
    const crop = cropRectForBox({ x: -20, y: -30, width: 120, height: 120 }, video);
    expect(crop.x).toBe(0);
    expect(crop.y).toBe(0);
    expect(crop.width).toBe(Math.round(120 * FER_FRAMING.sidePerBoxSide));
    const right = cropRectForBox({ x: 600, y: 440, width: 100, height: 100 }, video);
    expect(right.x + right.width).toBe(640);
    expect(right.y + right.height).toBe(480);
  });

  it('shrinks only when the face is larger than the frame', () => {
    const crop = cropRectForBox({ x: 0, y: 0, width: 700, height: 700 }, video);
    expect(crop.width).toBe(480);
    expect(crop.height).toBe(480);
    expect(crop.x).toBeGreaterThanOrEqual(0);
    expect(crop.x + crop.width).toBeLessThanOrEqual(640);
    expect(crop.y).toBe(0);
  });
});

describe('largestBox', () => {
  it('takes the largest face when several are in view', () => {
    const faces = [
      { id: 'a', box: { x: 0, y: 0, width: 50, height: 50 } },
      { id: 'b', box: { x: 100, y: 0, width: 90, height: 80 } },
      { id: 'c', box: { x: 300, y: 0, width: 80, height: 100 } },
    ];
    expect(largestBox(faces)?.id).toBe('c');
  });
  it('returns null for no faces', () => {
    expect(largestBox([])).toBeNull();
  });
});

describe('detection canvas', () => {
  it('downscales so the longer side is at most maxSide and scales boxes back', () => {
    const s = detectionCanvasSize({ width: 1280, height: 720 }, 320);
    expect(s).toEqual({ width: 320, height: 180, scale: 0.25 });
    expect(scaleBox({ x: 10, y: 20, width: 30, height: 40 }, 1 / s.scale)).toEqual({
      x: 40,
      y: 80,
      width: 120,
      height: 160,
    });
    expect(detectionCanvasSize({ width: 320, height: 240 }, 320).scale).toBe(1);
  });
});
