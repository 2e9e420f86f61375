/**
 * Crop geometry: turns a face-detector box into the square region whose 48×48 downscale
 * looks like a FER2013 image. Pure functions, unit-tested in Node.
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/**
 * FER2013 framing relative to a TinyFaceDetector box, measured by scripts/measure-fer-crop.ts
 * (median over FER2013 rows upscaled 4× and padded with their mean grey; the full result is in
 * scripts/measure-fer-crop.result.json). FER faces are cropped tightly: the FER image side is
 * about the detector's box side, and its centre sits a little above the box centre (FER keeps
 * the forehead, the detector box reaches the chin).
 * Offsets and side are in units of the box side sqrt(width × height).
 */
export const FER_FRAMING = {
  // 800 rows, 660 detected (82.5 %), inputSize 160: side median 1.024 (IQR 0.88–1.125),
  // x offset median 0.037 (IQR 0.008–0.06), y offset median −0.082 (IQR −0.107…−0.055).
  // Self-check in the same script: IoU of this crop with the true FER square, median 0.757
  // (IQR 0.677–0.833), against 0.721 (0.652–0.766) for cropping the detector box as is.
  sidePerBoxSide: 1.02,
  centreOffsetX: 0.04,
  centreOffsetY: -0.08,
} as const;

export type Framing = {
  readonly sidePerBoxSide: number;
  readonly centreOffsetX: number;
  readonly centreOffsetY: number;
};

/**
 * The square crop (in source pixels, integer) for a detection. When the square would leave the
 * image it is shifted back inside, and shrunk only if the image is smaller than the square:
 * shifting keeps the scale FER-like at the cost of an off-centre face near the border.
 */
export function cropRectForBox(box: Box, source: Size, framing: Framing = FER_FRAMING): Box {
  const boxSide = Math.sqrt(Math.max(0, box.width) * Math.max(0, box.height));
  let side = Math.round(boxSide * framing.sidePerBoxSide);
  side = Math.max(1, Math.min(side, source.width, source.height));
  const cx = box.x + box.width / 2 + framing.centreOffsetX * boxSide;
  const cy = box.y + box.height / 2 + framing.centreOffsetY * boxSide;
  const x = clamp(Math.round(cx - side / 2), 0, source.width - side);
  const y = clamp(Math.round(cy - side / 2), 0, source.height - side);
  return { x, y, width: side, height: side };
}

/** Several faces in view: score the player whose face is largest (nearest the camera). */
export function largestBox<T extends { box: Box }>(detections: readonly T[]): T | null {
  let best: T | null = null;
  let bestArea = -1;
  for (const d of detections) {
    const area = d.box.width * d.box.height;
    if (area > bestArea) {
      best = d;
      bestArea = area;
    }
  }
  return best;
}

/** Scales a box found on a downscaled detection canvas back to video pixels. */
export function scaleBox(box: Box, factor: number): Box {
  return { x: box.x * factor, y: box.y * factor, width: box.width * factor, height: box.height * factor };
}

/**
 * Size of the canvas the detector reads: the video scaled so its longer side is at most
 * maxSide. TinyFaceDetector resizes to its inputSize anyway, so a full 720p read-back only
 * costs time on a machine without a GPU.
 */
export function detectionCanvasSize(video: Size, maxSide: number): Size & { scale: number } {
  const longer = Math.max(video.width, video.height);
  const scale = longer > maxSide ? maxSide / longer : 1;
  return {
    width: Math.max(1, Math.round(video.width * scale)),
    height: Math.max(1, Math.round(video.height * scale)),
    scale,
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), Math.max(lo, hi));
}
