/**
 * Direct-loop convolution input gradient on plain Float32Arrays (NHWC, filter
 * [fh, fw, in, out]): correct for any stride, dilation or explicit padding. The
 * XNNPACK-based kernel uses it only for pads a padded forward conv cannot express.
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
