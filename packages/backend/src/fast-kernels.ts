// Replaces slow or missing training kernels of one backend with versions built from that
// backend's fast kernels. Kernels are registered per backend, so the cpu backend (the reference
// the tests compare against) keeps its stock kernels; gradients stay the stock ones, which call
// these kernels. The replacements are tfjs ops run inside a kernel: tfjs does not record ops run
// inside a kernel on the gradient tape, and a kernel may return a Tensor.
import * as tf from '@tensorflow/tfjs-core';
import { conv2dFilterGradient, conv2dInputGradient } from './internal/kernels/conv2d-backprop.js';
import {
  type HeapBackend,
  hasHeap,
  hasRefCounts,
  isWebgpuProgramBackend,
  type Pad,
  type Rounding,
} from './internal/kernels/geometry.js';
import { conv2dFilterGradientIm2col, IM2COL_MAX_IN_CHANNELS } from './internal/kernels/im2col.js';
import { fusedMatMulUnfused, matMulWithoutTransposedOperands } from './internal/kernels/matmul.js';
import {
  type NativeKernels,
  nativeBatchMatMul,
  nativeBatchNorm,
  nativeChannelBinary,
  nativeConv2d,
  nativeConv2dBackpropFilter,
  nativeConv2dBackpropInput,
  nativeConvFits,
  nativeFusedMatMul,
  nativeMaxPoolGrad,
  nativeSumLeadingAxes,
} from './internal/kernels/native.js';
import { avgPoolGradTiled, maxPoolGradOnHeap } from './internal/kernels/pool-grad.js';
import { sumLeadingAxes } from './internal/kernels/sum.js';
import { tileOnHeap } from './internal/kernels/tile.js';
import { conv2dFilterGradientSplitK } from './internal/kernels/webgpu-conv-filter.js';

/** Names of the kernels `installFastKernels` can replace. */
export type FastKernelName =
  | 'Conv2D'
  | 'FusedConv2D'
  | 'Conv2DBackpropInput'
  | 'Conv2DBackpropFilter'
  | 'BatchMatMul'
  | 'MaxPoolGrad'
  | 'AvgPoolGrad'
  | 'Sum'
  | 'Mean'
  | 'Tile'
  | 'Identity'
  | '_FusedMatMul'
  | 'Multiply'
  | 'Add'
  | 'Sub'
  | 'FusedBatchNorm';

type Attrs = Record<string, unknown>;
type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
};
type Impl = (args: KernelArgs, stock: tf.KernelConfig | undefined) => tf.TensorInfo;

function tensor<R extends tf.Rank>(info: tf.TensorInfo | undefined, name: string): tf.Tensor<R> {
  if (!(info instanceof tf.Tensor)) {
    throw new Error(`@iwlab/backend fast kernel: input "${name}" is not a tfjs Tensor`);
  }
  return info as tf.Tensor<R>;
}

function callStock(stock: tf.KernelConfig | undefined, args: KernelArgs, name: string) {
  if (stock === undefined) {
    throw new Error(`@iwlab/backend: no stock ${name} kernel to fall back to on this backend`);
  }
  return stock.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

const isNchw = (attrs: Attrs) => attrs.dataFormat === 'NCHW';

type Shape4 = [number, number, number, number];

/**
 * A convolution gradient kernel's attributes, read once, in the order every implementation takes
 * them: the shape it produces (the input's or the filter's), strides, padding, rounding.
 */
function convGradGeometry(a: Attrs, shape: unknown): [Shape4, [number, number], Pad, Rounding] {
  return [
    shape as Shape4,
    a.strides as [number, number],
    a.pad as Pad,
    a.dimRoundingMode as Rounding,
  ];
}

// Optional inputs (a fused op's absent bias) are present as undefined.
const allTensors = (args: KernelArgs) =>
  Object.values(args.inputs).every((t) => t === undefined || t === null || t instanceof tf.Tensor);

let native: NativeKernels | undefined;

/**
 * Routes convolutions (forward and both gradients) on heap backends (wasm) to these native kernels,
 * or back to the wasm ones with `undefined`. `initBackend` does this when @iwlab/onednn is
 * installed and built.
 */
export function useNativeKernels(kernels: NativeKernels | undefined): void {
  native = kernels;
}

/** The native convolutions in use, if any. */
export function nativeKernelsInUse(): NativeKernels | undefined {
  return native;
}

/** oneDNN takes NHWC float32 with floor rounding; anything else stays on the backend's kernels. */
function nativeFor(args: KernelArgs, ...infos: (tf.TensorInfo | undefined)[]) {
  const a = (args.attrs ?? {}) as Attrs;
  const usable =
    native !== undefined &&
    hasHeap(args.backend) &&
    !isNchw(a) &&
    (a.dimRoundingMode === undefined || a.dimRoundingMode === null) &&
    nativeConvFits(...infos);
  return usable ? { dnn: native as NativeKernels, backend: args.backend as HeapBackend } : null;
}

const FUSABLE_ACTIVATIONS = new Set([undefined, null, 'linear', 'relu']);

/** A per-channel element-wise op natively (batch norm's); everything else on the stock kernel. */
function channelBinary(
  args: KernelArgs,
  stock: tf.KernelConfig | undefined,
  name: 'Multiply' | 'Add' | 'Sub',
  op: 'mul' | 'add' | 'sub',
) {
  const { a, b } = args.inputs;
  const on = nativeFor({ ...args, attrs: {} }, a, b);
  if (on !== null && a !== undefined && b !== undefined) {
    const out = nativeChannelBinary(on.dnn, on.backend, op, a, b);
    if (out !== null) return out;
  }
  return callStock(stock, args, name);
}

/** Sum or Mean over leading axes: natively, else as a matrix-vector product; else stock. */
function leadingAxesReduction(
  args: KernelArgs,
  stock: tf.KernelConfig | undefined,
  name: 'Sum' | 'Mean',
) {
  const a = (args.attrs ?? {}) as Attrs;
  const axis = a.axis as number | number[];
  const keepDims = a.keepDims === true;
  const on = nativeFor({ ...args, attrs: {} }, args.inputs.x);
  if (on !== null && args.inputs.x !== undefined) {
    const out = nativeSumLeadingAxes(
      on.dnn,
      on.backend,
      args.inputs.x,
      axis,
      keepDims,
      name === 'Mean',
    );
    if (out !== null) return out;
  }
  if (!allTensors(args)) return callStock(stock, args, name);
  const fast = sumLeadingAxes(tensor(args.inputs.x, 'x'), axis, keepDims, name === 'Mean');
  return fast ?? callStock(stock, args, name);
}

/**
 * Conv2D, and FusedConv2D with a per-channel bias and a linear or ReLU activation, through the
 * native kernels; anything else (PReLU, other activations, broadcast biases) to the stock kernel.
 */
function forwardConvolution(
  args: KernelArgs,
  stock: tf.KernelConfig | undefined,
  name: 'Conv2D' | 'FusedConv2D',
) {
  const a = (args.attrs ?? {}) as Attrs;
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const on = nativeFor(args, x, filter, bias);
  const biasFits = bias === undefined || tf.util.sizeFromShape(bias.shape) === filter?.shape[3];
  if (
    on === null ||
    x === undefined ||
    filter === undefined ||
    preluActivationWeights !== undefined ||
    !FUSABLE_ACTIVATIONS.has(a.activation as string) ||
    !biasFits
  ) {
    return callStock(stock, args, name);
  }
  return nativeConv2d(
    on.dnn,
    on.backend,
    x,
    filter,
    a.strides as [number, number],
    a.pad as 'same',
    (a.dilations ?? 1) as [number, number],
    undefined,
    { ...(bias === undefined ? {} : { bias }), relu: a.activation === 'relu' },
  );
}

const IMPLS: Record<FastKernelName, Impl> = {
  Conv2D: (args, stock) => forwardConvolution(args, stock, 'Conv2D'),
  FusedConv2D: (args, stock) => forwardConvolution(args, stock, 'FusedConv2D'),
  Conv2DBackpropInput: (args, stock) => {
    const a = (args.attrs ?? {}) as Attrs;
    const { dy, filter } = args.inputs;
    if (isNchw(a) || dy === undefined || filter === undefined) {
      return callStock(stock, args, 'Conv2DBackpropInput');
    }
    const geometry = convGradGeometry(a, a.inputShape);
    const on = nativeFor(args, dy, filter);
    if (on !== null) return nativeConv2dBackpropInput(on.dnn, on.backend, dy, filter, ...geometry);
    if (!allTensors(args)) return callStock(stock, args, 'Conv2DBackpropInput');
    return conv2dInputGradient(tensor(dy, 'dy'), tensor(filter, 'filter'), ...geometry);
  },
  Conv2DBackpropFilter: (args, stock) => {
    const a = (args.attrs ?? {}) as Attrs;
    const { x, dy } = args.inputs;
    if (isNchw(a) || x === undefined || dy === undefined) {
      return callStock(stock, args, 'Conv2DBackpropFilter');
    }
    const geometry = convGradGeometry(a, a.filterShape);
    const on = nativeFor(args, x, dy);
    if (on !== null) return nativeConv2dBackpropFilter(on.dnn, on.backend, x, dy, ...geometry);
    if (isWebgpuProgramBackend(args.backend) && x.dtype === 'float32' && dy.dtype === 'float32') {
      return conv2dFilterGradientSplitK(args.backend, x, dy, ...geometry);
    }
    if (!allTensors(args)) return callStock(stock, args, 'Conv2DBackpropFilter');
    const input = tensor<tf.Rank.R4>(x, 'x');
    const grad = tensor<tf.Rank.R4>(dy, 'dy');
    if (
      hasHeap(args.backend) &&
      input.dtype === 'float32' &&
      input.shape[3] <= IM2COL_MAX_IN_CHANNELS
    ) {
      return conv2dFilterGradientIm2col(args.backend, input, grad, ...geometry);
    }
    return conv2dFilterGradient(input, grad, ...geometry);
  },
  BatchMatMul: (args, stock) => {
    const a = (args.attrs ?? {}) as Attrs;
    const transposeA = a.transposeA === true;
    const transposeB = a.transposeB === true;
    const on = nativeFor(args, args.inputs.a, args.inputs.b);
    if (on !== null && args.inputs.a !== undefined && args.inputs.b !== undefined) {
      const out = nativeBatchMatMul(
        on.dnn,
        on.backend,
        args.inputs.a,
        args.inputs.b,
        transposeA,
        transposeB,
      );
      if (out !== null) return out;
    }
    if (!transposeA && !transposeB) return callStock(stock, args, 'BatchMatMul');
    if (!allTensors(args)) return callStock(stock, args, 'BatchMatMul');
    // The untransposed matmuls inside come back here and go to the stock kernel.
    return matMulWithoutTransposedOperands(
      tensor(args.inputs.a, 'a'),
      tensor(args.inputs.b, 'b'),
      transposeA,
      transposeB,
    );
  },
  MaxPoolGrad: (args, stock) => {
    const a = (args.attrs ?? {}) as Attrs;
    const backend = args.backend;
    const { dy, input } = args.inputs;
    if (!hasHeap(backend) || dy === undefined || input === undefined || input.dtype !== 'float32') {
      return callStock(stock, args, 'MaxPoolGrad');
    }
    const pooling = [
      dy,
      input,
      a.filterSize as [number, number],
      a.strides as [number, number],
      a.pad as 'same',
      a.dimRoundingMode as 'floor' | undefined,
    ] as const;
    const on = nativeFor({ ...args, attrs: {} }, dy, input);
    return on === null
      ? maxPoolGradOnHeap(backend, ...pooling)
      : nativeMaxPoolGrad(on.dnn, on.backend, ...pooling);
  },
  AvgPoolGrad: (args, stock) => {
    if (!allTensors(args)) return callStock(stock, args, 'AvgPoolGrad');
    const a = (args.attrs ?? {}) as Attrs;
    const input = tensor<tf.Rank.R4>(args.inputs.input, 'input');
    const fast = avgPoolGradTiled(
      tensor<tf.Rank.R4>(args.inputs.dy, 'dy'),
      input.shape,
      a.filterSize as [number, number],
      a.strides as [number, number],
    );
    return fast ?? callStock(stock, args, 'AvgPoolGrad');
  },
  Sum: (args, stock) => leadingAxesReduction(args, stock, 'Sum'),
  Mean: (args, stock) => leadingAxesReduction(args, stock, 'Mean'),
  _FusedMatMul: (args, stock) => {
    const a = (args.attrs ?? {}) as Attrs;
    const { a: left, b: right, bias, preluActivationWeights } = args.inputs;
    const on = nativeFor(args, left, right, bias);
    const n = right?.shape[a.transposeB === true ? right.shape.length - 2 : right.shape.length - 1];
    const biasFits = bias === undefined || tf.util.sizeFromShape(bias.shape) === n;
    if (
      on !== null &&
      left !== undefined &&
      right !== undefined &&
      preluActivationWeights === undefined &&
      FUSABLE_ACTIVATIONS.has(a.activation as string) &&
      biasFits
    ) {
      const out = nativeFusedMatMul(
        on.dnn,
        on.backend,
        left,
        right,
        a.transposeA === true,
        a.transposeB === true,
        bias,
        a.activation === 'relu',
      );
      if (out !== null) return out;
    }
    const transposed = a.transposeA === true || a.transposeB === true;
    if (!transposed || !allTensors(args) || left === undefined || right === undefined) {
      return callStock(stock, args, '_FusedMatMul');
    }
    return fusedMatMulUnfused(
      tensor(left, 'a'),
      tensor(right, 'b'),
      a.transposeA === true,
      a.transposeB === true,
      bias === undefined ? undefined : tensor(bias, 'bias'),
      a.activation as string | undefined,
      preluActivationWeights === undefined
        ? undefined
        : tensor(preluActivationWeights, 'preluActivationWeights'),
      a.leakyreluAlpha as number | undefined,
    );
  },
  Multiply: (args, stock) => channelBinary(args, stock, 'Multiply', 'mul'),
  Add: (args, stock) => channelBinary(args, stock, 'Add', 'add'),
  Sub: (args, stock) => channelBinary(args, stock, 'Sub', 'sub'),
  FusedBatchNorm: (args, stock) => {
    const { x, mean, variance, offset, scale } = args.inputs;
    const on = nativeFor({ ...args, attrs: {} }, x, mean, variance, offset, scale);
    if (on !== null && x !== undefined && mean !== undefined && variance !== undefined) {
      const epsilon = (args.attrs?.varianceEpsilon ?? 0.001) as number;
      const out = nativeBatchNorm(on.dnn, on.backend, x, mean, variance, offset, scale, epsilon);
      if (out !== null) return out;
    }
    return callStock(stock, args, 'FusedBatchNorm');
  },
  Tile: (args, stock) => {
    const x = args.inputs.x;
    const backend = args.backend;
    if (!hasHeap(backend) || x === undefined || x.dtype === 'string') {
      return callStock(stock, args, 'Tile');
    }
    return tileOnHeap(backend, x, args.attrs?.reps as number[]);
  },
  // The engine clones (Identity) every tensor a gradient saves: ~30 per small-CNN step. Stock wasm
  // copies each on the heap; tensors are immutable, so the clone can share the data, as wasm's
  // own Reshape and the cpu and webgpu backends' Identity do.
  Identity: (args, stock) => {
    const x = args.inputs.x;
    const backend = args.backend;
    if (!hasHeap(backend) || !hasRefCounts(backend) || x === undefined || x.dtype === 'string') {
      return callStock(stock, args, 'Identity');
    }
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};

/**
 * Which replacements are worth it where: measured on wasm. On webgpu the filter gradient is a
 * split-K GEMM shader (tfjs's own kernel loops over the whole batch in one thread per filter
 * weight); the op-based replacements there only on request.
 */
const DEFAULT_KERNELS: Readonly<Record<string, readonly FastKernelName[]>> = {
  webgpu: ['Conv2DBackpropFilter'],
  wasm: [
    'Conv2DBackpropInput',
    'Conv2DBackpropFilter',
    'BatchMatMul',
    'MaxPoolGrad',
    'AvgPoolGrad',
    'Sum',
    'Mean',
    'Tile',
    'Identity',
    '_FusedMatMul',
  ],
};

/**
 * Forward convolutions and per-channel element-wise ops are worth replacing only by native
 * kernels: XNNPACK's are the best wasm has.
 */
const NATIVE_ONLY: readonly FastKernelName[] = [
  'Conv2D',
  'FusedConv2D',
  'Multiply',
  'Add',
  'Sub',
  'FusedBatchNorm',
];

/** The kernels `installFastKernels(backendName)` replaces when not told which. */
export function defaultFastKernels(backendName: string): readonly FastKernelName[] {
  const kernels = DEFAULT_KERNELS[backendName] ?? [];
  return native !== undefined && kernels.length > 0 ? [...NATIVE_ONLY, ...kernels] : kernels;
}

const installed = new Map<string, Map<FastKernelName, tf.KernelConfig | undefined>>();

/**
 * Registers the fast kernels for `backendName` (default: the current backend) and returns their
 * names. Idempotent. The stock kernels are kept and restored by `uninstallFastKernels`.
 */
export function installFastKernels(
  backendName: string = tf.getBackend(),
  kernels: readonly FastKernelName[] = defaultFastKernels(backendName),
): FastKernelName[] {
  let mine = installed.get(backendName);
  if (mine === undefined) {
    mine = new Map();
    installed.set(backendName, mine);
  }
  for (const name of kernels) {
    if (mine.has(name)) continue;
    const stock = tf.getKernel(name, backendName);
    const impl = IMPLS[name];
    if (stock !== undefined) tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      kernelName: name,
      backendName,
      // Keep the stock setup/dispose hooks: wasm binds its C functions in setupFunc.
      ...(stock?.setupFunc === undefined ? {} : { setupFunc: stock.setupFunc }),
      ...(stock?.disposeFunc === undefined ? {} : { disposeFunc: stock.disposeFunc }),
      // Each replacement checks what it can take: heap and native paths take TensorInfos, the
      // op-based ones need this tfjs-core's Tensors (allTensors) and give the rest to the stock kernel.
      kernelFunc: ((args: KernelArgs) => impl(args, stock)) as tf.KernelFunc,
    });
    mine.set(name, stock);
  }
  return [...mine.keys()];
}

/** Puts the stock kernels of `backendName` back. */
export function uninstallFastKernels(backendName: string = tf.getBackend()): void {
  const mine = installed.get(backendName);
  if (mine === undefined) return;
  for (const [name, stock] of mine) {
    tf.unregisterKernel(name, backendName);
    if (stock !== undefined) tf.registerKernel(stock);
  }
  installed.delete(backendName);
}

/** The fast kernels now registered for `backendName`. */
export function installedFastKernels(backendName: string = tf.getBackend()): FastKernelName[] {
  return [...(installed.get(backendName)?.keys() ?? [])];
}
