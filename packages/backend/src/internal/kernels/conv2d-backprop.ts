// Convolution gradients written as *forward* convolutions, because forward convolution is the one
// kernel every backend makes fast (XNNPACK on wasm) while the stock backprop kernels are slow
// (wasm: ~8x slower for the input gradient) or missing (wasm has no Conv2DBackpropFilter).
import * as tf from '@tensorflow/tfjs-core';
import { convInfo, type Pad, type Rounding } from './geometry.js';

/** Pads (positive) or crops (negative) the rows and columns of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number) {
  const [n, h, w, c] = x.shape;
  const crop = [Math.max(0, -top), Math.max(0, -bottom), Math.max(0, -left), Math.max(0, -right)];
  const [ct, cb, cl, cr] = crop as [number, number, number, number];
  const cropped =
    ct + cb + cl + cr === 0 ? x : tf.slice(x, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c]);
  const pads: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  return { x: cropped, pads };
}

/**
 * dx of y = conv2d(x, filter, strides, pad): a stride-1 forward convolution of dy (with stride-1
 * zeros inserted between its rows and columns when the forward stride is > 1) by the filter
 * rotated 180° with its input and output channels swapped.
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: readonly [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode);
  const [batch, inH, inW] = inputShape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: outH, outWidth: outW, padInfo } = info;
  const outC = filter.shape[3];
  return tf.tidy(() => {
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    let spread: tf.Tensor4D = dy;
    if (sh > 1 || sw > 1) {
      // Zeros between rows/columns: reshape to 6-D, pad the unit axes, reshape back. This also
      // leaves stride-1 trailing zero rows/columns, accounted for in the padding below.
      const six = tf.reshape(dy, [batch, outH, 1, outW, 1, outC]);
      const padded = tf.pad(six, [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]);
      spread = tf.reshape(padded, [batch, outH * sh, outW * sw, outC]);
    }
    const top = kh - 1 - padInfo.top;
    const left = kw - 1 - padInfo.left;
    const bottom = inH - spread.shape[1] - top + kh - 1;
    const right = inW - spread.shape[2] - left + kw - 1;
    const { x, pads } = padOrCrop(spread, top, bottom, left, right);
    return tf.conv2d(x, rotated as tf.Tensor4D, 1, pads);
  });
}

/**
 * dfilter of y = conv2d(x, filter, strides, pad), as one forward convolution with batch and
 * channels swapped: x as [Cin, H, W, B] convolved by dy as a [Ho, Wo, B, Cout] filter (dilated by
 * the forward stride) gives [Cin, kh, kw, Cout]. Measured on wasm this beats an im2col built from
 * kh·kw slices + concat + one matmul by 1.8-4x (slices and concat are slow copies there), and it
 * needs no Conv2DBackpropFilter kernel, which wasm lacks.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
  const [, inH, inW] = x.shape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: outH, outWidth: outW, padInfo } = info;
  return tf.tidy(() => {
    const xT = tf.transpose(x, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const bottom = kh + (outH - 1) * sh - inH - padInfo.top;
    const right = kw + (outW - 1) * sw - inW - padInfo.left;
    const { x: input, pads } = padOrCrop(xT, padInfo.top, bottom, padInfo.left, right);
    const grad = tf.conv2d(input, dyT, 1, pads, 'NHWC', [sh, sw]);
    return tf.transpose(grad, [1, 2, 0, 3]);
  });
}
