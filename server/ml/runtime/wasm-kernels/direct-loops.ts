/**
 * Direct-loop convolution gradients on plain Float32Arrays (NHWC, filters
 * [fh, fw, in, out|mult]). They are the correct-for-every-case path: any
 * stride, dilation or explicit padding. The fast XNNPACK-based conv kernels use
 * them only for pads they cannot express; the depthwise kernels (the project's
 * models have no depthwise layers) use them throughout.
 */
import type { backend_util } from '@tensorflow/tfjs';

type ConvInfo = backend_util.Conv2DInfo;

/** dx for a regular conv: scatters each dy value through the filter. */
export function conv2dBackpropInputLoop(
  info: ConvInfo,
  dy: Float32Array,
  filter: Float32Array,
  dx: Float32Array,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let fi = 0; fi < filterHeight; fi++) {
          const ih = oh * strideHeight + fi * dilationHeight - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fj = 0; fj < filterWidth; fj++) {
            const iw = ow * strideWidth + fj * dilationWidth - padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            const dxBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wBase = (fi * filterWidth + fj) * inChannels * outChannels;
            for (let ic = 0; ic < inChannels; ic++) {
              const wRow = wBase + ic * outChannels;
              let acc = 0;
              for (let oc = 0; oc < outChannels; oc++) acc += dy[dyBase + oc] * filter[wRow + oc];
              dx[dxBase + ic] += acc;
            }
          }
        }
      }
    }
  }
}

/** dx for a depthwise conv (filter [fh, fw, C, M], dy channel c*M+m). */
export function depthwiseBackpropInputLoop(
  info: ConvInfo,
  dy: Float32Array,
  filter: Float32Array,
  dx: Float32Array,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const mult = outChannels / inChannels;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let fi = 0; fi < filterHeight; fi++) {
          const ih = oh * strideHeight + fi * dilationHeight - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fj = 0; fj < filterWidth; fj++) {
            const iw = ow * strideWidth + fj * dilationWidth - padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            const dxBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wBase = (fi * filterWidth + fj) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              let acc = 0;
              for (let m = 0; m < mult; m++) acc += dy[dyBase + c * mult + m] * filter[wBase + c * mult + m];
              dx[dxBase + c] += acc;
            }
          }
        }
      }
    }
  }
}

/** dW for a depthwise conv. */
export function depthwiseBackpropFilterLoop(info: ConvInfo, x: Float32Array, dy: Float32Array, dw: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const mult = outChannels / inChannels;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  dw.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let fi = 0; fi < filterHeight; fi++) {
          const ih = oh * strideHeight + fi * dilationHeight - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fj = 0; fj < filterWidth; fj++) {
            const iw = ow * strideWidth + fj * dilationWidth - padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wBase = (fi * filterWidth + fj) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              const xv = x[xBase + c];
              for (let m = 0; m < mult; m++) dw[wBase + c * mult + m] += xv * dy[dyBase + c * mult + m];
            }
          }
        }
      }
    }
  }
}
