// @iwlab/onednn: oneDNN's CPU convolutions (the library PyTorch uses) for data in JS memory.
import { type Conv2dGeometry, ConvOp, checkLength, packGeometry, sizes } from './conv2d.js';
import {
  checkMatmul,
  type MatmulShape,
  type Pool2dGeometry,
  packPool,
  positiveInt,
} from './dense.js';
import { loadBinding, type NativeBinding } from './internal/binding.js';

export type { Conv2dGeometry } from './conv2d.js';
export type { MatmulShape, Pool2dGeometry } from './dense.js';

export interface Conv2dForwardOptions {
  /** Added per output channel (length outChannels). */
  readonly bias?: Float32Array;
  /** Applies max(0, ·) to the result, fused into the convolution. */
  readonly relu?: boolean;
}

/** oneDNN convolutions on NHWC activations and HWIO filters, as TensorFlow.js lays them out. */
export interface OneDnn {
  /** e.g. "2.6.3". */
  readonly version: string;
  /** The instruction set oneDNN's kernels use on this CPU, e.g. "avx512_core". */
  readonly isa: string;
  /** out = conv(x, filter) [+ bias] [then relu]. Returns the oneDNN implementation used. */
  conv2dForward(
    geometry: Conv2dGeometry,
    x: Float32Array,
    filter: Float32Array,
    out: Float32Array,
    options?: Conv2dForwardOptions,
  ): string;
  /** dx = the gradient of the convolution with respect to its input, given dy. */
  conv2dBackwardData(
    geometry: Conv2dGeometry,
    dy: Float32Array,
    filter: Float32Array,
    dx: Float32Array,
  ): string;
  /** dFilter = the gradient with respect to the filter, given x and dy (overwritten, not added). */
  conv2dBackwardWeights(
    geometry: Conv2dGeometry,
    x: Float32Array,
    dy: Float32Array,
    dFilter: Float32Array,
  ): string;
  /** out = op(a) · op(b), row-major, for each of `shape.batch` products (oneDNN's sgemm). */
  matmul(shape: MatmulShape, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out[c] = Σ_r x[r·cols + c]: a sum over leading axes, e.g. a bias gradient. */
  sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  /**
   * The max-pool gradient, NHWC: each dy goes to the first maximum of its window in row-major
   * order (TensorFlow.js's rule, so ReLU ties match its cpu backend).
   */
  maxPoolGrad(geometry: Pool2dGeometry, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /**
   * out = full op perChannel, perChannel (length C) repeated over every row of C values of `full`
   * (or perChannel op full with `perChannelFirst`): batch norm's per-channel element-wise ops.
   */
  channelBinary(
    op: 'add' | 'sub' | 'mul',
    full: Float32Array,
    perChannel: Float32Array,
    out: Float32Array,
    options?: { perChannelFirst?: boolean },
  ): void;
  /**
   * out = (x − center) · scale + shift, per channel (the last axis, of length scale.length):
   * batch norm with 1/√(variance + ε) folded into the scale.
   */
  channelAffine(
    x: Float32Array,
    center: Float32Array,
    scale: Float32Array,
    shift: Float32Array,
    out: Float32Array,
  ): void;
  /** OpenMP threads oneDNN uses (default: OMP_NUM_THREADS, else every core). */
  threads(): number;
  /**
   * Sets the threads for later calls. One per process is right for sweeps that run one process
   * per core. Results can differ in the last bits between thread counts (summation order).
   */
  setThreads(n: number): void;
  /** Compiled convolution plans kept (one per shape and direction, least recently used dropped). */
  cachedPlans(): number;
  clearPlans(): void;
}

export type OneDnnLoad =
  | { readonly available: true; readonly oneDnn: OneDnn }
  | { readonly available: false; readonly reason: string };

function wrap(native: NativeBinding): OneDnn {
  const v = native.version();
  return {
    version: `${v.major}.${v.minor}.${v.patch}`,
    isa: v.isa,
    conv2dForward(geometry, x, filter, out, options = {}) {
      const packed = packGeometry(geometry);
      const n = sizes(geometry);
      checkLength('x', x, n.input);
      checkLength('filter', filter, n.filter);
      checkLength('out', out, n.output);
      if (options.bias !== undefined) checkLength('bias', options.bias, geometry.outChannels);
      return native.conv2d(
        ConvOp.Forward,
        packed,
        x,
        filter,
        out,
        options.bias ?? null,
        options.relu === true,
      );
    },
    conv2dBackwardData(geometry, dy, filter, dx) {
      const packed = packGeometry(geometry);
      const n = sizes(geometry);
      checkLength('dy', dy, n.output);
      checkLength('filter', filter, n.filter);
      checkLength('dx', dx, n.input);
      return native.conv2d(ConvOp.BackwardData, packed, dy, filter, dx, null, false);
    },
    conv2dBackwardWeights(geometry, x, dy, dFilter) {
      const packed = packGeometry(geometry);
      const n = sizes(geometry);
      checkLength('x', x, n.input);
      checkLength('dy', dy, n.output);
      checkLength('dFilter', dFilter, n.filter);
      return native.conv2d(ConvOp.BackwardWeights, packed, x, dy, dFilter, null, false);
    },
    matmul(shape, a, b, out) {
      checkMatmul(shape, a, b, out);
      const { batch, m, n, k } = shape;
      native.matmul(
        a,
        b,
        out,
        batch,
        m,
        n,
        k,
        shape.transposeA === true,
        shape.transposeB === true,
        shape.broadcastA === true ? 0 : m * k,
        shape.broadcastB === true ? 0 : k * n,
      );
    },
    sumRows(x, rows, cols, out) {
      positiveInt('sumRows: rows', rows);
      positiveInt('sumRows: cols', cols);
      checkLength('x', x, rows * cols);
      checkLength('out', out, cols);
      native.sumRows(x, rows, cols, out);
    },
    maxPoolGrad(geometry, x, dy, dx) {
      const packed = packPool(geometry);
      const g = geometry;
      const input = g.batchSize * g.inHeight * g.inWidth * g.inChannels;
      checkLength('x', x, input);
      checkLength('dy', dy, g.batchSize * g.outHeight * g.outWidth * g.inChannels);
      checkLength('dx', dx, input);
      native.maxPoolGrad(x, dy, dx, packed);
    },
    channelBinary(op, full, perChannel, out, options = {}) {
      const code = CHANNEL_OPS[op];
      if (code === undefined) throw new RangeError(`channelBinary: unknown op "${op}"`);
      checkChannels(full, perChannel.length);
      checkLength('perChannel', perChannel, perChannel.length);
      checkLength('out', out, full.length);
      native.channelBinary(
        code,
        full,
        perChannel,
        out,
        perChannel.length,
        options.perChannelFirst === true,
      );
    },
    channelAffine(x, center, scale, shift, out) {
      checkChannels(x, scale.length);
      checkLength('center', center, scale.length);
      checkLength('shift', shift, scale.length);
      checkLength('out', out, x.length);
      native.channelAffine(x, center, scale, shift, out, scale.length);
    },
    threads: () => native.threads(),
    setThreads(n) {
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(`setThreads: n must be an integer ≥ 1, got ${n}`);
      }
      native.setThreads(n);
    },
    cachedPlans: () => native.cachedPlans(),
    clearPlans: () => native.clearPlans(),
  };
}

const CHANNEL_OPS: Record<string, number | undefined> = { add: 0, sub: 1, mul: 2 };

/** `data` must hold whole rows of `channels` values. */
function checkChannels(data: Float32Array, channels: number): void {
  positiveInt('channels', channels);
  checkLength('x', data, data.length);
  if (data.length % channels !== 0) {
    throw new RangeError(`${data.length} values are not whole rows of ${channels} channels`);
  }
}

let loaded: OneDnnLoad | undefined;

/**
 * The oneDNN kernels, or why they are unavailable (add-on not built, library missing). Never
 * throws; the answer is computed once per process.
 */
export function loadOneDnn(): OneDnnLoad {
  if (loaded === undefined) {
    const result = loadBinding();
    loaded = result.ok
      ? { available: true, oneDnn: wrap(result.binding) }
      : { available: false, reason: result.reason };
  }
  return loaded;
}
