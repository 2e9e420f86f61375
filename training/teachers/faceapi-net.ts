/**
 * face-api.js's FaceExpressionNet (@vladmandic/face-api, MIT; a devDependency) on
 * this process's tfjs backend, for offline teacher targets only — the game server
 * never imports it. Crops go in as the game's 48×48 grey frames: replicated to RGB
 * and resized bilinearly to the net's 112×112 input (face-api itself subtracts its
 * mean colour and scales by 1/255).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_BYTES, FRAME_HEIGHT, FRAME_WIDTH } from '../../shared/frame.ts';
import { faceApiToFerOrder } from './faceapi-classes.ts';

const INPUT = 112;

/** The part of face-api's FaceExpressionNet this module uses (the package is untyped through require). */
interface FaceExpressionNetLike {
  loadFromDisk(dir: string): Promise<void>;
  faceFeatureExtractor: { forwardInput(input: { toBatchTensor(): tf.Tensor4D }): tf.Tensor4D };
  runNet(features: tf.Tensor4D): tf.Tensor2D;
}

export interface FaceApiNet {
  /** FER2013-order probabilities (count×7) for `count` packed 48×48 grey frames. */
  predict(frames: Uint8Array, count: number): Float32Array;
}

/** The folder of face-api's shipped weights (face_expression_model.bin and its manifest). */
export function faceApiModelDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

/** Loads the net. The tfjs backend must already be initialised (initBackend). */
export async function loadFaceApiNet(modelDir = faceApiModelDir()): Promise<FaceApiNet> {
  const require = createRequire(import.meta.url);
  // The node-wasm bundle requires the same @tensorflow/tfjs instance as this project.
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as {
    nets: { faceExpressionNet: FaceExpressionNetLike };
  };
  const net = faceapi.nets.faceExpressionNet;
  await net.loadFromDisk(modelDir);
  return {
    predict(frames: Uint8Array, count: number): Float32Array {
      if (frames.length < count * FRAME_BYTES) throw new RangeError(`expected ${count} frames of ${FRAME_BYTES} bytes`);
      const probs = tf.tidy(() => {
        const grey = tf.tensor4d(
          frames.subarray(0, count * FRAME_BYTES),
          [count, FRAME_HEIGHT, FRAME_WIDTH, 1],
          'int32',
        );
        const rgb = tf.image.resizeBilinear(tf.tile(tf.cast(grey, 'float32'), [1, 1, 1, 3]) as tf.Tensor4D, [
          INPUT,
          INPUT,
        ]);
        const features = net.faceFeatureExtractor.forwardInput({ toBatchTensor: () => rgb });
        return tf.softmax(net.runNet(features));
      });
      // A small (count×7) array, read outside tidy and disposed at once.
      const raw = probs.dataSync() as Float32Array;
      probs.dispose();
      if (raw.length !== count * EMOTION_COUNT) throw new Error(`face-api returned ${raw.length} values`);
      return faceApiToFerOrder(raw, count);
    },
  };
}
