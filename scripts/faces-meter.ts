/**
 * The meter on real photos: for every labelled photo in <faces>/<emotion>/*.jpg, find the
 * face and crop it the way the browser does (the photo centred in a grey scene twice its
 * size, as a camera would frame it; face-api TinyFaceDetector with the client's
 * options, the client's FER framing from client/src/capture/crop-geometry.ts, BT.601 grey
 * area-averaged to 48×48 with client/src/capture/grayscale.ts), score it with the model
 * folder's engine (same ONNX precision as the server), and print per emotion the meter of
 * the photo's emotion before (the network's probability) and after the folder's
 * calibration (temperature and meter map, as served), and how often the top class is
 * that emotion. --record stores the table in metrics.json (calibration.photos), re-renders
 * the card's meter calibration section and refreshes SHA256SUMS.
 *
 *   npm run meter:faces -- [--model models/emotion] [--faces ../shared/data/faces] [--record]
 *
 * Needs ffmpeg/ffprobe to decode the photos (scripts/install-chromium.sh installs ffmpeg).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { cropRectForBox, largestBox } from '../client/src/capture/crop-geometry.ts';
import { cropToGray } from '../client/src/capture/grayscale.ts';
import { frameMatch } from '../server/game/scoring.ts';
import { applyCalibration, readCalibration } from '../server/ml/engine/calibration.ts';
import { createEmotionEngine } from '../server/ml/engine/create-engine.ts';
import { HASHES_FILE } from '../server/ml/model-folder/files.ts';
import { writeModelHashes } from '../server/ml/model-folder/hashes.ts';
import { EMOTIONS, type Emotion, emotionId, isEmotion } from '../shared/emotions.ts';
import { type PhotoMeasurement, updateCalibrationCard } from '../training/calibration/card-section.ts';
import { type PhotoScore, summarisePhotos } from '../training/calibration/photo-summary.ts';

type FaceApi = typeof import('@vladmandic/face-api');
const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/emotion' },
    faces: { type: 'string', default: '../shared/data/faces' },
    'input-size': { type: 'string', default: '160' },
    record: { type: 'boolean', default: false },
  },
});
const modelDir = path.resolve(values.model as string);
const facesDir = values.faces as string;
const inputSize = Number(values['input-size']);

/**
 * The photo centred on a canvas twice its size, filled with its mean grey: the shared photos
 * are tight face crops, and TinyFaceDetector misses a face that touches the image border; a
 * camera frame has the face inside a scene (scripts/measure-fer-crop.ts pads FER images the
 * same way to measure the client's framing).
 */
export function padToScene(
  rgba: Uint8Array,
  width: number,
  height: number,
): { rgba: Uint8Array; width: number; height: number } {
  const W = 2 * width;
  const H = 2 * height;
  let sum = 0;
  for (let i = 0; i < width * height; i++)
    sum += ((rgba[i * 4] as number) + (rgba[i * 4 + 1] as number) + (rgba[i * 4 + 2] as number)) / 3;
  const grey = Math.round(sum / Math.max(1, width * height));
  const out = new Uint8Array(W * H * 4).fill(grey);
  for (let i = 3; i < out.length; i += 4) out[i] = 255;
  const ox = Math.floor((W - width) / 2);
  const oy = Math.floor((H - height) / 2);
  for (let y = 0; y < height; y++) out.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), ((oy + y) * W + ox) * 4);
  return { rgba: out, width: W, height: H };
}

/** RGBA pixels of a photo, at its own size. */
function readRgba(file: string): { rgba: Uint8Array; width: number; height: number } {
  const [width, height] = execFileSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  )
    .trim()
    .split(',')
    .map(Number) as [number, number];
  const rgba = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], {
    maxBuffer: 1 << 26,
  });
  if (rgba.length !== width * height * 4)
    throw new Error(`${file}: decoded ${rgba.length} bytes for ${width}×${height}`);
  return { rgba: new Uint8Array(rgba), width, height };
}

async function main(): Promise<void> {
  if (!existsSync(facesDir)) throw new Error(`no faces folder at ${facesDir}`);
  const cal = readCalibration(modelDir);
  if (!cal) throw new Error(`${modelDir} has no calibration.json: nothing to compare`);
  setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  await faceapi.nets.tinyFaceDetector.loadFromDisk(
    path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model'),
  );
  // The client's detector options (client/src/capture/face-detector.ts, config.ts).
  const options = new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: 0.4 });

  const photos: { emotion: Emotion; file: string; crop: Uint8Array | null }[] = [];
  for (const emotion of readdirSync(facesDir).filter(isEmotion).sort()) {
    for (const f of readdirSync(path.join(facesDir, emotion)).filter((f) => /\.jpe?g$/i.test(f))) {
      const file = path.join(facesDir, emotion, f);
      const photo = readRgba(file);
      const { rgba, width, height } = padToScene(photo.rgba, photo.width, photo.height);
      const input = tf.tidy(() =>
        tf.tensor3d(rgba, [height, width, 4], 'int32').slice([0, 0, 0], [height, width, 3]),
      ) as tf.Tensor3D;
      const dets = await faceapi.detectAllFaces(input as unknown as Parameters<FaceApi['detectAllFaces']>[0], options);
      input.dispose();
      const det = largestBox(dets.map((d) => ({ box: d.box })));
      const crop = det ? cropToGray(rgba, width, height, cropRectForBox(det.box, { width, height })) : null;
      photos.push({ emotion, file, crop });
    }
  }

  // The network's raw output; the calibration is applied here exactly as the engine does.
  const engine = await createEmotionEngine({ modelDir, calibrate: false, workers: 1 });
  const engineName = engine.name;
  const scored = photos.filter((p) => p.crop !== null);
  let raw: Float32Array[];
  try {
    raw = await engine.predict(scored.map((p) => p.crop as Uint8Array));
  } finally {
    await engine.dispose();
  }
  const scores: PhotoScore[] = photos.map((p) => {
    const k = scored.indexOf(p);
    if (k < 0) return { emotion: p.emotion, detected: false };
    const r = raw[k] as Float32Array;
    const served = applyCalibration(cal, r);
    return { emotion: p.emotion, detected: true, raw: r, served, meter: frameMatch(served, emotionId(p.emotion)) };
  });
  const rows = summarisePhotos(scores);

  const f = (v: number | null | undefined) => (v === null || v === undefined ? '  –  ' : v.toFixed(3));
  console.log(
    `model ${modelDir} (${engineName}, ${cal ? 'calibration.json v2' : 'no calibration'}); photos ${facesDir}`,
  );
  console.log('emotion    photos  found  median before  after   best before  after   top class = emotion');
  for (const e of EMOTIONS) {
    const r = rows[e];
    if (!r) continue;
    console.log(
      `${e.padEnd(10)} ${String(r.photos).padStart(6)} ${String(r.detected).padStart(6)} ${f(r.medianBefore).padStart(14)} ${f(r.medianAfter).padStart(6)} ${f(r.maxBefore).padStart(12)} ${f(r.maxAfter).padStart(6)} ${`${r.topClass} of ${r.detected}`.padStart(21)}`,
    );
  }

  if (values.record) {
    const metricsFile = path.join(modelDir, 'metrics.json');
    const m = JSON.parse(readFileSync(metricsFile, 'utf8')) as { calibration?: Record<string, unknown> };
    if (!m.calibration) throw new Error(`${metricsFile} has no calibration block: run npm run calibrate first`);
    const shown = ['--model', path.relative(process.cwd(), modelDir) || '.', '--faces', facesDir, '--record'];
    const photosRecord: PhotoMeasurement = {
      dir: facesDir,
      command: `npm run meter:faces -- ${shown.join(' ')}`,
      measuredAt: new Date().toISOString(),
      engine: engineName,
      rows,
    };
    m.calibration.photos = photosRecord;
    writeFileSync(metricsFile, `${JSON.stringify(m, null, 2)}\n`);
    updateCalibrationCard(modelDir);
    if (existsSync(path.join(modelDir, HASHES_FILE))) await writeModelHashes(modelDir);
    console.log(`recorded in ${metricsFile} and the card; ${HASHES_FILE} refreshed`);
  }
}

main().catch((err: unknown) => {
  console.error(`faces-meter failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
