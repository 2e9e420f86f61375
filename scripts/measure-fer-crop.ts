/**
 * Measures where the browser's face detector (face-api TinyFaceDetector, same options as
 * the client) puts its box on FER2013 faces, so that the client can crop live video with
 * FER2013's framing: the crop that turns a detector box back into "the whole FER image".
 *
 * Each 48×48 FER image is upscaled (bilinear) to SCALE×48 px and centred on a canvas of
 * PAD× that size, filled by edge replication, so the detector sees the face at a size
 * like a webcam close-up and with some context around it (a face touching the image
 * border is often missed). For every detection we record, in units of the box side:
 *   side  = FER image side / box side          (how much larger than the box the crop is)
 *   dx,dy = (FER centre − box centre) / box side (where the crop centre sits)
 * and report medians and quartiles. client/src/capture/crop-geometry.ts holds the result.
 *
 * Usage: node --import tsx scripts/measure-fer-crop.ts [rows=800] [inputSize=160]
 * Result of the run recorded in scripts/measure-fer-crop.result.json.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { cropRectForBox, FER_FRAMING } from '../client/src/capture/crop-geometry.ts';
import { readFer2013 } from '../training/data/fer2013-reader.ts';

type FaceApi = typeof import('@vladmandic/face-api');

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;

const ROWS = Number(process.argv[2] ?? 800);
const INPUT_SIZE = Number(process.argv[3] ?? 160);
const SCALE = 4; // 48 → 192 px face
const PAD = 2; // canvas is 2× the face: 384 px
const SCORE_THRESHOLD = 0.3;
/** 'gray': pad with the image's mean grey (no echo faces); 'mirror': reflect the image. */
const PADDING = process.env.PADDING === 'mirror' ? 'mirror' : 'gray';
const FER = '/work/shared/data/fer2013.csv.gz';

function quantiles(xs: number[]): { p25: number; median: number; p75: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))] ?? Number.NaN;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { p25: r(q(0.25)), median: r(q(0.5)), p75: r(q(0.75)) };
}

function squareIou(
  a: { x: number; y: number; width: number; height: number },
  b: { x: number; y: number; width: number; height: number },
): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

async function main(): Promise<void> {
  setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  const options = new faceapi.TinyFaceDetectorOptions({ inputSize: INPUT_SIZE, scoreThreshold: SCORE_THRESHOLD });

  const data = await readFer2013(FER, { skipBadRows: true });
  // Spread the sample over the whole file (the file is grouped loosely by source).
  const step = Math.max(1, Math.floor(data.count / ROWS));
  const side: number[] = [];
  const dx: number[] = [];
  const dy: number[] = [];
  const aspect: number[] = [];
  /** Self-check: IoU of the client's crop (with the shipped FER_FRAMING) and the true FER square. */
  const iou: number[] = [];
  /** Baseline: cropping exactly the detector's box (no measured framing). */
  const boxIou: number[] = [];
  let tried = 0;
  let found = 0;
  let multiple = 0;
  const faceSide = 48 * SCALE;
  const canvasSide = faceSide * PAD;
  const offset = (canvasSide - faceSide) / 2;
  for (let i = 0; i < data.count && tried < ROWS; i += step) {
    tried++;
    const pixels = data.images.subarray(i * 2304, (i + 1) * 2304);
    const input = tf.tidy(() => {
      const gray = tf.tensor3d(pixels, [48, 48, 1], 'int32').toFloat();
      const big = tf.image.resizeBilinear(gray as tf.Tensor3D, [faceSide, faceSide]);
      const padded =
        PADDING === 'mirror'
          ? tf.mirrorPad(
              big,
              [
                [offset, offset],
                [offset, offset],
                [0, 0],
              ],
              'symmetric',
            )
          : tf.pad(
              big,
              [
                [offset, offset],
                [offset, offset],
                [0, 0],
              ],
              big.mean().arraySync() as number,
            );
      return tf.tile(padded, [1, 1, 3]).round().toInt() as tf.Tensor3D;
    });
    const dets = await faceapi.detectAllFaces(input as unknown as Parameters<FaceApi['detectAllFaces']>[0], options);
    input.dispose();
    if (dets.length === 0) continue;
    if (dets.length > 1) multiple++;
    // Mirror padding can make echo faces; the real one is the detection nearest the centre.
    const c = canvasSide / 2;
    const det = dets
      .map((d) => d.box)
      .sort(
        (a, b) =>
          Math.hypot(a.x + a.width / 2 - c, a.y + a.height / 2 - c) -
          Math.hypot(b.x + b.width / 2 - c, b.y + b.height / 2 - c),
      )[0]!;
    const bx = det.x - offset;
    const by = det.y - offset;
    // Reject echoes that are clearly not on the original image.
    const cx = bx + det.width / 2;
    const cy = by + det.height / 2;
    if (cx < 0 || cy < 0 || cx > faceSide || cy > faceSide) continue;
    found++;
    const boxSide = Math.sqrt(det.width * det.height);
    side.push(faceSide / boxSide);
    dx.push((faceSide / 2 - cx) / boxSide);
    dy.push((faceSide / 2 - cy) / boxSide);
    aspect.push(det.height / det.width);
    const crop = cropRectForBox(
      { x: det.x, y: det.y, width: det.width, height: det.height },
      {
        width: canvasSide,
        height: canvasSide,
      },
    );
    const truth = { x: offset, y: offset, width: faceSide, height: faceSide };
    iou.push(squareIou(crop, truth));
    const plain = cropRectForBox(
      { x: det.x, y: det.y, width: det.width, height: det.height },
      { width: canvasSide, height: canvasSide },
      { sidePerBoxSide: 1, centreOffsetX: 0, centreOffsetY: 0 },
    );
    boxIou.push(squareIou(plain, truth));
  }
  const result = {
    script: 'scripts/measure-fer-crop.ts',
    date: new Date().toISOString(),
    detector: {
      model: 'tinyFaceDetector',
      inputSize: INPUT_SIZE,
      scoreThreshold: SCORE_THRESHOLD,
      backend: tf.getBackend(),
    },
    preprocessing: {
      upscale: SCALE,
      canvasToFace: PAD,
      padding: PADDING === 'mirror' ? 'mirror (symmetric)' : 'constant: image mean grey',
    },
    rowsTried: tried,
    detected: found,
    detectionRate: Math.round((found / tried) * 1000) / 1000,
    rowsWithSeveralDetections: multiple,
    cropSidePerBoxSide: quantiles(side),
    cropCentreOffsetX: quantiles(dx),
    cropCentreOffsetY: quantiles(dy),
    boxAspectHeightPerWidth: quantiles(aspect),
    selfCheck: {
      framing: FER_FRAMING,
      cropIouWithFerImage: quantiles(iou),
      detectorBoxIouWithFerImage: quantiles(boxIou),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(path.join(here, 'measure-fer-crop.result.json'), `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
