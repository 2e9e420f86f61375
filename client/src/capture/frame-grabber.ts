/**
 * Reads pixels from the live video: a small detection image, and the face crop at higher
 * resolution. Both go through canvases we draw ourselves, so we can check the pixels.
 */
import { FRAME_HEIGHT, FRAME_WIDTH } from '../../../shared/frame.ts';
import { type Box, detectionCanvasSize, type Size } from './crop-geometry.ts';
import { cropToGray } from './grayscale.ts';

/** Longer side of the image the detector sees; TinyFaceDetector resizes to ≤160 anyway. */
const DETECTION_MAX_SIDE = 320;
/** The crop is drawn at up to 4× the frame size, then area-averaged down to 48×48. */
const CROP_DRAW_MAX = FRAME_WIDTH * 4;

export class FrameGrabber {
  private readonly detCanvas = document.createElement('canvas');
  private readonly detCtx = this.detCanvas.getContext('2d', { willReadFrequently: true })!;
  private readonly cropCanvas = document.createElement('canvas');
  private readonly cropCtx = this.cropCanvas.getContext('2d', { willReadFrequently: true })!;
  /** detection-canvas px → video px. */
  scale = 1;

  /** Draws the current video frame downscaled; returns its pixels. */
  grabDetectionImage(video: HTMLVideoElement): ImageData {
    const size = detectionCanvasSize({ width: video.videoWidth, height: video.videoHeight }, DETECTION_MAX_SIDE);
    if (this.detCanvas.width !== size.width || this.detCanvas.height !== size.height) {
      this.detCanvas.width = size.width;
      this.detCanvas.height = size.height;
    }
    this.scale = 1 / size.scale;
    this.detCtx.drawImage(video, 0, 0, size.width, size.height);
    return this.detCtx.getImageData(0, 0, size.width, size.height);
  }

  /** Crops `crop` (video px) from the video and returns a 48×48 BT.601 grey frame. */
  grabFrame(video: HTMLVideoElement, crop: Box): Uint8Array {
    const side = Math.max(FRAME_WIDTH, Math.min(CROP_DRAW_MAX, Math.round(crop.width)));
    if (this.cropCanvas.width !== side) {
      this.cropCanvas.width = side;
      this.cropCanvas.height = side;
    }
    this.cropCtx.imageSmoothingEnabled = true;
    this.cropCtx.imageSmoothingQuality = 'high';
    this.cropCtx.drawImage(video, crop.x, crop.y, crop.width, crop.height, 0, 0, side, side);
    const img = this.cropCtx.getImageData(0, 0, side, side);
    return cropToGray(img.data, side, side, { x: 0, y: 0, width: side, height: side }, FRAME_WIDTH, FRAME_HEIGHT);
  }

  videoSize(video: HTMLVideoElement): Size {
    return { width: video.videoWidth, height: video.videoHeight };
  }
}
