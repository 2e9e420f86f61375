/**
 * Fake-camera videos for Chromium (`--use-file-for-fake-video-capture=FILE.y4m`) made with
 * Debian's ffmpeg from real face photos. The video is a 4:3 window around one face that
 * drifts slowly, plus per-frame noise, so successive crops differ the way a live camera's do
 * (the server rightly refuses a still image as a replay). Chromium loops the file.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const FACE_API_DEMO_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Faces in the face-api demo photos (full-resolution pixels), found with face-api's
 * SsdMobilenetv1 in Node (score ≥ 0.93); frontal, smiling faces chosen so a FER model
 * scores them as happy.
 */
export const DEMO_FACES = {
  sample1Right: { image: 'sample1.jpg', imageSize: [1920, 1280], face: { x: 1476, y: 198, width: 203, height: 241 } },
  sample3Right: { image: 'sample3.jpg', imageSize: [1920, 1350], face: { x: 1514, y: 289, width: 171, height: 284 } },
  sample6Right: { image: 'sample6.jpg', imageSize: [1920, 1537], face: { x: 1487, y: 260, width: 210, height: 299 } },
} as const satisfies Record<string, { image: string; imageSize: readonly [number, number]; face: FaceBox }>;

/** A corner of sample1.jpg with wall and no person: a camera pointed away from the player. */
export const NO_FACE_SCENE = { image: 'sample1.jpg', window: { x: 0, y: 0, width: 360, height: 270 } } as const;

/** Face photos in test/fixtures/faces/ (see its README for how the model scores each). */
export const PHOTO_FACES = {
  happyPhoto: 'happy.jpg',
  surprisePhoto: 'surprise.jpg',
  angryPhoto: 'angry.jpg',
} as const;
export const PHOTO_FACES_DIR = path.resolve(import.meta.dirname, '..', 'fixtures', 'faces');

export type PhotoFace = keyof typeof PHOTO_FACES;
export type DemoFace = keyof typeof DEMO_FACES | PhotoFace | 'noFace';

function isPhotoFace(face: DemoFace): face is PhotoFace {
  return face in PHOTO_FACES;
}

export interface FakeVideoOptions {
  face: DemoFace;
  out: string;
  seconds?: number;
  fps?: number;
  width?: number;
  height?: number;
  /** Face height as a fraction of the video height (a webcam close-up is ~0.4). */
  faceFraction?: number;
  /** Amplitude of the temporal noise (ffmpeg noise filter strength). */
  noise?: number;
}

/** The 4:3 source window around the face, kept inside the photo, with room left for the drift. */
export function sourceWindow(
  face: FaceBox,
  imageSize: readonly [number, number],
  faceFraction: number,
  aspect = 4 / 3,
): FaceBox & { drift: number } {
  let height = Math.round(face.height / faceFraction);
  let width = Math.round(height * aspect);
  const [iw, ih] = imageSize;
  // Room for the drift on every side: a face near the photo's edge must still move, or the
  // fake camera is a still photo with noise, which the server rightly refuses as a replay.
  const margin = 24;
  const scale = Math.min(1, (iw - 2 * margin) / width, (ih - 2 * margin) / height);
  width = Math.floor(width * scale);
  height = Math.floor(height * scale);
  const cx = face.x + face.width / 2;
  const cy = face.y + face.height / 2;
  const x = Math.max(margin, Math.min(iw - width - margin, Math.round(cx - width / 2)));
  const y = Math.max(margin, Math.min(ih - height - margin, Math.round(cy - height / 2)));
  // Drift stays inside the image on both sides.
  const drift = Math.max(0, Math.min(margin, x, iw - width - x, y, ih - height - y));
  return { x, y, width, height, drift };
}

export function ffmpegAvailable(): boolean {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes the .y4m and returns its path. */
export function makeFakeCameraVideo(opts: FakeVideoOptions): string {
  if (isPhotoFace(opts.face)) return makePhotoCameraVideo({ ...opts, face: opts.face });
  const fps = opts.fps ?? 10;
  const seconds = opts.seconds ?? 4;
  const width = opts.width ?? 640;
  const height = opts.height ?? 480;
  let image: string;
  let win: FaceBox & { drift: number };
  if (opts.face === 'noFace') {
    image = NO_FACE_SCENE.image;
    win = { ...NO_FACE_SCENE.window, drift: 0 };
  } else {
    const spec = DEMO_FACES[opts.face];
    image = spec.image;
    win = sourceWindow(spec.face, spec.imageSize, opts.faceFraction ?? 0.4);
  }
  const d = win.drift;
  // Slow circular drift with a period of the whole clip, so the loop point does not jump.
  const period = seconds;
  const crop =
    `crop=w=${win.width}:h=${win.height}` +
    `:x='${win.x}+${d}*sin(2*PI*t/${period})':y='${win.y}+${d}*cos(2*PI*t/${period})'`;
  const filters = [crop, `scale=${width}:${height}`, `noise=alls=${opts.noise ?? 10}:allf=t`, 'format=yuv420p'].join(
    ',',
  );
  execFileSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-y',
      '-loop',
      '1',
      '-framerate',
      String(fps),
      '-i',
      path.join(FACE_API_DEMO_DIR, image),
      '-vf',
      filters,
      '-t',
      String(seconds),
      '-r',
      String(fps),
      '-f',
      'yuv4mpegpipe',
      opts.out,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return opts.out;
}

/**
 * A tightly cropped face photo (FER framing) padded onto a grey 4:3 frame, as a face in front
 * of a plain wall: it sways a few pixels on a slow circle, tilts a little, and every frame gets
 * fresh noise, so no two crops within the 4 s loop are alike. The padding gives the face detector the context it expects.
 */
export function makePhotoCameraVideo(opts: FakeVideoOptions & { face: PhotoFace }): string {
  const fps = opts.fps ?? 10;
  const seconds = opts.seconds ?? 4;
  const width = opts.width ?? 640;
  const height = opts.height ?? 480;
  const side = Math.round(height * (opts.faceFraction ?? 0.5));
  const x0 = Math.round((width - side) / 2);
  const y0 = Math.round((height - side) / 2);
  // Far enough per frame that the face also moves inside the crop between detections.
  const d = Math.round(height * 0.06);
  const graph =
    `color=c=0x606060:s=${width}x${height}:r=${fps}:d=${seconds}[bg];` +
    // A slight tilt to and fro (±3°, a quarter period out of step with the sway) changes the
    // picture in a way no shift or zoom explains, as a live head does.
    `[0:v]scale=${side}:${side},format=yuv420p,rotate='0.05*cos(2*PI*t/${seconds})':c=0x606060[face];` +
    `[bg][face]overlay=x='${x0}+${d}*sin(2*PI*t/${seconds})':y='${y0}+${d}*cos(2*PI*t/${seconds})':shortest=1,` +
    `noise=alls=${opts.noise ?? 10}:allf=t,format=yuv420p`;
  execFileSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-y',
      '-loop',
      '1',
      '-framerate',
      String(fps),
      '-i',
      path.join(PHOTO_FACES_DIR, PHOTO_FACES[opts.face]),
      '-filter_complex',
      graph,
      '-t',
      String(seconds),
      '-r',
      String(fps),
      '-f',
      'yuv4mpegpipe',
      opts.out,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return opts.out;
}
