// Kernels on the wasm heap through oneDNN (the optional @iwlab/onednn add-on). Convolutions
// (forward, input and filter gradients) dominate a conv net's training step: XNNPACK's forward
// convolution (128-bit wasm SIMD, no FMA) ran at ~25-30 GFLOP/s on one core here, where oneDNN's
// JIT kernels use the CPU's AVX2/AVX-512 FMA units, as PyTorch's do. Once those were native, the
// dense layers' matmuls, the bias gradients' sums and the max-pool gradient took most of what was
// left (a profile of the small CNN: ~45 of ~70 ms), so they are native too.
import * as tf from '@tensorflow/tfjs-core';
import { convInfo, type HeapBackend, type Pad, poolInfo, type Rounding } from './geometry.js';

/**
 * What these kernels need from @iwlab/onednn's `OneDnn`, written out so that this package's types
 * do not depend on an optional peer. tfjs's Conv2DInfo has every geometry field it reads.
 */
export interface NativeKernels {
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
  matmul(
    shape: {
      batch: number;
      m: number;
      n: number;
      k: number;
      transposeA?: boolean;
      transposeB?: boolean;
      broadcastA?: boolean;
      broadcastB?: boolean;
    },
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
  ): void;
  sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  maxPoolGrad(
    geometry: tf.backend_util.Conv2DInfo,
    x: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
  ): void;
  channelBinary(
    op: 'add' | 'sub' | 'mul',
    full: Float32Array,
    perChannel: Float32Array,
    out: Float32Array,
    options?: { perChannelFirst?: boolean },
  ): void;
  channelAffine(
    x: Float32Array,
    center: Float32Array,
    scale: Float32Array,
    shift: Float32Array,
    out: Float32Array,
  ): void;
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
  dnn: NativeKernels,
  backend: HeapBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  strides: number | [number, number],
  pad: Pad,
  dilations: number | [number, number],
  dimRoundingMode: Rounding,
  fused: { bias?: tf.TensorInfo; relu?: boolean } = {},
): tf.TensorInfo {
  const info = convInfo(x.shape, filter.shape, strides, dilations, pad, dimRoundingMode);
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
  dnn: NativeKernels,
  backend: HeapBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  inputShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.TensorInfo {
  const info = convInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode);
  const dx = backend.makeOutput([...inputShape], 'float32');
  dnn.conv2dBackwardData(info, floats(backend, dy), floats(backend, filter), floats(backend, dx));
  return dx;
}

/** dFilter of a convolution, HWIO. */
export function nativeConv2dBackpropFilter(
  dnn: NativeKernels,
  backend: HeapBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.TensorInfo {
  const info = convInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
  const dw = backend.makeOutput([...filterShape], 'float32');
  dnn.conv2dBackwardWeights(info, floats(backend, x), floats(backend, dy), floats(backend, dw));
  return dw;
}

/**
 * a·b for two rank-2 operands (tfjs hands 2-D matMuls to the kernel as they are) or two rank-3
 * ones whose batch sizes are equal or 1; null for anything else.
 */
export function nativeBatchMatMul(
  dnn: NativeKernels,
  backend: HeapBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo | null {
  const rank = a.shape.length;
  if (b.shape.length !== rank || (rank !== 2 && rank !== 3)) return null;
  const [batchA, ar, ac] = (rank === 2 ? [1, ...a.shape] : a.shape) as [number, number, number];
  const [batchB, br, bc] = (rank === 2 ? [1, ...b.shape] : b.shape) as [number, number, number];
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const n = transposeB ? br : bc;
  if ((transposeB ? bc : br) !== k) return null;
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput(rank === 2 ? [m, n] : [batch, m, n], 'float32');
  dnn.matmul(
    {
      batch,
      m,
      n,
      k,
      transposeA,
      transposeB,
      broadcastA: batchA === 1 && batch > 1,
      broadcastB: batchB === 1 && batch > 1,
    },
    floats(backend, a),
    floats(backend, b),
    floats(backend, out),
  );
  return out;
}

/**
 * tfjs's _FusedMatMul (dense layers): a·b, plus a bias over the last axis, then linear or ReLU;
 * null for anything else (other activations, broadcast biases, unsupported shapes).
 */
export function nativeFusedMatMul(
  dnn: NativeKernels,
  backend: HeapBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: tf.TensorInfo | undefined,
  relu: boolean,
): tf.TensorInfo | null {
  const out = nativeBatchMatMul(dnn, backend, a, b, transposeA, transposeB);
  if (out === null) return null;
  const n = out.shape[out.shape.length - 1] as number;
  if (bias === undefined && !relu) return out;
  const values = floats(backend, out);
  const offsets = bias === undefined ? null : floats(backend, bias);
  if (offsets !== null && offsets.length !== n) throw new Error('bias size checked by the caller');
  for (let i = 0; i < values.length; i++) {
    const v = (values[i] as number) + (offsets === null ? 0 : (offsets[i % n] as number));
    values[i] = relu && v < 0 ? 0 : v;
  }
  return out;
}

/**
 * Sum (or with `mean`, mean) over the leading `k` axes as [rows, cols] column sums; null unless
 * the axes are leading.
 */
export function nativeSumLeadingAxes(
  dnn: NativeKernels,
  backend: HeapBackend,
  x: tf.TensorInfo,
  axis: number | number[],
  keepDims: boolean,
  mean = false,
): tf.TensorInfo | null {
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((p, q) => p - q);
  const k = axes.length;
  if (k === 0 || k >= x.shape.length || axes.some((a, i) => a !== i)) return null;
  const rest = x.shape.slice(k);
  const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...rest] : rest, 'float32');
  const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
  const sums = floats(backend, out);
  dnn.sumRows(floats(backend, x), rows, tf.util.sizeFromShape(rest), sums);
  if (mean) for (let i = 0; i < sums.length; i++) sums[i] = (sums[i] as number) / rows;
  return out;
}

/** The max-pool gradient with tfjs's first-maximum rule. */
export function nativeMaxPoolGrad(
  dnn: NativeKernels,
  backend: HeapBackend,
  dy: tf.TensorInfo,
  input: tf.TensorInfo,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.TensorInfo {
  const info = poolInfo(input, filterSize, strides, pad, dimRoundingMode);
  const dx = backend.makeOutput([...input.shape], 'float32');
  dnn.maxPoolGrad(info, floats(backend, input), floats(backend, dy), floats(backend, dx));
  return dx;
}

/** True when `shape` is [C] or [1, ..., 1, C] for `full`'s last axis C, and no longer than it. */
function perChannelOf(shape: readonly number[], full: readonly number[]): boolean {
  const channels = full[full.length - 1];
  return (
    shape.length >= 1 &&
    shape.length <= full.length &&
    shape[shape.length - 1] === channels &&
    shape.slice(0, -1).every((d) => d === 1)
  );
}

/**
 * a op b where one operand is a per-channel vector broadcast over the other (batch norm's
 * element-wise ops); null for any other pair of shapes (same shapes go to XNNPACK, which is fast).
 */
export function nativeChannelBinary(
  dnn: NativeKernels,
  backend: HeapBackend,
  op: 'add' | 'sub' | 'mul',
  a: tf.TensorInfo,
  b: tf.TensorInfo,
): tf.TensorInfo | null {
  const aPerChannel = perChannelOf(a.shape, b.shape);
  const bPerChannel = perChannelOf(b.shape, a.shape);
  if (aPerChannel === bPerChannel) return null;
  const [full, perChannel] = bPerChannel ? [a, b] : [b, a];
  const out = backend.makeOutput([...full.shape], 'float32');
  dnn.channelBinary(op, floats(backend, full), floats(backend, perChannel), floats(backend, out), {
    perChannelFirst: aPerChannel,
  });
  return out;
}

/**
 * Batch norm, (x − mean) · scale / √(variance + ε) + offset, with per-channel statistics (the
 * last axis); null when a statistic is not one value per channel.
 */
export function nativeBatchNorm(
  dnn: NativeKernels,
  backend: HeapBackend,
  x: tf.TensorInfo,
  mean: tf.TensorInfo,
  variance: tf.TensorInfo,
  offset: tf.TensorInfo | undefined,
  scale: tf.TensorInfo | undefined,
  epsilon: number,
): tf.TensorInfo | null {
  const channels = x.shape[x.shape.length - 1] as number;
  const stats = [mean, variance, offset, scale].filter((t) => t !== undefined);
  if (x.shape.length < 2 || stats.some((t) => tf.util.sizeFromShape(t.shape) !== channels)) {
    return null;
  }
  const out = backend.makeOutput([...x.shape], 'float32');
  const variances = floats(backend, variance);
  const scales = scale === undefined ? null : floats(backend, scale);
  const folded = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    folded[c] =
      (scales === null ? 1 : (scales[c] as number)) / Math.sqrt((variances[c] as number) + epsilon);
  }
  const shift = offset === undefined ? new Float32Array(channels) : floats(backend, offset);
  dnn.channelAffine(floats(backend, x), floats(backend, mean), folded, shift, floats(backend, out));
  return out;
}
