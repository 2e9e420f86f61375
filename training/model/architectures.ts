/** Named CNN architectures for 48×48×1 FER2013 faces. Output: 7-way softmax in FER2013 order. */
import * as tf from '@tensorflow/tfjs';
import { EMOTION_COUNT } from '../../shared/emotions.ts';
import { FRAME_HEIGHT, FRAME_WIDTH } from '../../shared/frame.ts';

export const ARCHITECTURES = ['seed', 'vgg8', 'vgg16', 'vgg32'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
export const DEFAULT_ARCHITECTURE: Architecture = 'vgg16';

export function isArchitecture(v: unknown): v is Architecture {
  return typeof v === 'string' && (ARCHITECTURES as readonly string[]).includes(v);
}

const INPUT_SHAPE = [FRAME_HEIGHT, FRAME_WIDTH, 1];

/**
 * The seed paper's CNN, exactly: valid padding (Keras default), 1,678,023 parameters.
 */
export function buildSeed(): tf.LayersModel {
  const m = tf.sequential({ name: 'seed' });
  m.add(tf.layers.conv2d({ inputShape: INPUT_SHAPE, filters: 64, kernelSize: 3, activation: 'relu', name: 'conv1' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', name: 'conv2' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
  m.add(tf.layers.flatten({ name: 'flatten' }));
  m.add(tf.layers.dense({ units: 256, activation: 'relu', name: 'fc1' }));
  m.add(tf.layers.dropout({ rate: 0.5, name: 'dropout' }));
  m.add(tf.layers.dense({ units: EMOTION_COUNT, activation: 'softmax', name: 'probs' }));
  return m;
}

/**
 * VGG-style: per stage 2×(3×3 conv + BN + ReLU), max-pool; then global average
 * pool, dropout 0.4, dense 7. `widths` are the four stage widths.
 */
export function buildVgg(widths: readonly number[], name: string): tf.LayersModel {
  const m = tf.sequential({ name });
  widths.forEach((w, s) => {
    for (let k = 0; k < 2; k++) {
      m.add(
        tf.layers.conv2d({
          ...(s === 0 && k === 0 ? { inputShape: INPUT_SHAPE } : {}),
          filters: w,
          kernelSize: 3,
          padding: 'same',
          useBias: false,
          kernelInitializer: 'heNormal',
          name: `s${s + 1}_conv${k + 1}`,
        }),
      );
      m.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3, name: `s${s + 1}_bn${k + 1}` }));
      m.add(tf.layers.activation({ activation: 'relu', name: `s${s + 1}_relu${k + 1}` }));
    }
    m.add(tf.layers.maxPooling2d({ poolSize: 2, name: `s${s + 1}_pool` }));
  });
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dropout({ rate: 0.4, name: 'dropout' }));
  m.add(tf.layers.dense({ units: EMOTION_COUNT, activation: 'softmax', name: 'probs' }));
  return m;
}

export function buildArchitecture(arch: Architecture): tf.LayersModel {
  switch (arch) {
    case 'seed':
      return buildSeed();
    case 'vgg8':
      return buildVgg([8, 16, 32, 64], arch);
    case 'vgg16':
      return buildVgg([16, 32, 64, 128], arch);
    case 'vgg32':
      return buildVgg([32, 64, 128, 256], arch);
  }
}

/** Multiply-adds ×2 of conv and dense layers per image (the usual FLOP count). */
export function countFlops(model: tf.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const out = layer.outputShape as number[];
    const kernel = layer.weights[0]?.shape as number[] | undefined;
    if (!kernel) continue;
    // Kernel shapes: conv [kh,kw,cin,cout], depthwise [kh,kw,cin,mult], dense [in,out].
    const size = kernel.reduce((a, b) => a * b, 1);
    if (cls === 'Conv2D' || cls === 'DepthwiseConv2D') {
      flops += 2 * (out[1] as number) * (out[2] as number) * size;
    } else if (cls === 'Dense') {
      flops += 2 * size;
    }
  }
  return flops;
}
