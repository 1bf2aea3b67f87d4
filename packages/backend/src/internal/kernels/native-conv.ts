// Convolutions on the wasm heap through oneDNN (the optional @iwlab/onednn add-on): forward,
// input gradient and filter gradient, the three kernels that dominate a conv net's training step.
// XNNPACK's forward convolution (128-bit wasm SIMD, no FMA) ran at ~25-30 GFLOP/s on one core here;
// oneDNN's JIT kernels use the CPU's AVX2/AVX-512 FMA units, as PyTorch's do.
import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from './pool-grad.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/**
 * What these kernels need from @iwlab/onednn's `OneDnn`, written out so that this package's types
 * do not depend on an optional peer. tfjs's Conv2DInfo has every geometry field it reads.
 */
export interface NativeConvolutions {
  readonly version: string;
  readonly isa: string;
  conv2dForward(
    geometry: tf.backend_util.Conv2DInfo,
    x: Float32Array,
    filter: Float32Array,
    out: Float32Array,
    options?: { bias?: Float32Array; relu?: boolean },
  ): string;
  conv2dBackwardData(
    geometry: tf.backend_util.Conv2DInfo,
    dy: Float32Array,
    filter: Float32Array,
    dx: Float32Array,
  ): string;
  conv2dBackwardWeights(
    geometry: tf.backend_util.Conv2DInfo,
    x: Float32Array,
    dy: Float32Array,
    dFilter: Float32Array,
  ): string;
  threads(): number;
  setThreads(n: number): void;
}

const floats = (backend: HeapBackend, info: tf.TensorInfo) =>
  backend.typedArrayFromHeap(info) as Float32Array;

/** True when these tensors can go to oneDNN: float32, non-empty (it rejects zero-sized dims). */
export function nativeConvFits(...infos: (tf.TensorInfo | undefined)[]): boolean {
  return infos.every(
    (t) => t === undefined || (t.dtype === 'float32' && t.shape.every((d) => d > 0)),
  );
}

/** y = conv(x, filter) [+ bias] [relu], NHWC. */
export function nativeConv2d(
  dnn: NativeConvolutions,
  backend: HeapBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  strides: number | [number, number],
  pad: Pad,
  dilations: number | [number, number],
  dimRoundingMode: Rounding,
  fused: { bias?: tf.TensorInfo; relu?: boolean } = {},
): tf.TensorInfo {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
  );
  // makeOutput may grow the heap, which detaches earlier views: allocate before taking views.
  const out = backend.makeOutput([...info.outShape], 'float32');
  dnn.conv2dForward(info, floats(backend, x), floats(backend, filter), floats(backend, out), {
    ...(fused.bias === undefined ? {} : { bias: floats(backend, fused.bias) }),
    relu: fused.relu === true,
  });
  return out;
}

/** dx of a convolution, NHWC; tfjs's backprop kernels always have dilation 1. */
export function nativeConv2dBackpropInput(
  dnn: NativeConvolutions,
  backend: HeapBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  inputShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.TensorInfo {
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = backend.makeOutput([...inputShape], 'float32');
  dnn.conv2dBackwardData(info, floats(backend, dy), floats(backend, filter), floats(backend, dx));
  return dx;
}

/** dFilter of a convolution, HWIO. */
export function nativeConv2dBackpropFilter(
  dnn: NativeConvolutions,
  backend: HeapBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.TensorInfo {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dw = backend.makeOutput([...filterShape], 'float32');
  dnn.conv2dBackwardWeights(info, floats(backend, x), floats(backend, dy), floats(backend, dw));
  return dw;
}
