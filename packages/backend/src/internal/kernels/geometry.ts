// What every kernel rewrite shares: tfjs's padding and rounding attributes, the NHWC geometry of a
// convolution or pooling computed from them, the heap access the wasm backend gives kernels, and
// the program runner the webgpu backend gives them.
import * as tf from '@tensorflow/tfjs-core';

export type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Heap access the wasm backend offers to JS kernels (public methods of BackendWasm). */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
}

export function hasHeap(backend: unknown): backend is HeapBackend {
  const b = backend as Partial<HeapBackend> | null;
  return typeof b?.typedArrayFromHeap === 'function' && typeof b.makeOutput === 'function';
}

/** A backend whose data buffers are reference counted, so that tensors may share one. */
export interface RefCountedBackend {
  incRef(dataId: tf.DataId): void;
}

export function hasRefCounts(backend: unknown): backend is RefCountedBackend {
  return typeof (backend as Partial<RefCountedBackend> | null)?.incRef === 'function';
}

/** What the cpu backend offers a JS kernel (public methods of MathBackendCPU). */
interface CpuBackend {
  readSync(dataId: tf.DataId): tf.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.BackendValues): tf.TensorInfo;
}

function isCpuBackend(backend: unknown): backend is CpuBackend {
  const b = backend as Partial<CpuBackend> | null;
  return typeof b?.readSync === 'function' && typeof b.makeTensorInfo === 'function';
}

/** A JS kernel's input on cpu or wasm: the cpu backend's array, or a view of the wasm heap. */
export function readValues(backend: unknown, info: tf.TensorInfo): ArrayLike<number> {
  if (hasHeap(backend)) return backend.typedArrayFromHeap(info) as ArrayLike<number>;
  if (isCpuBackend(backend)) return backend.readSync(info.dataId) as ArrayLike<number>;
  throw new Error('a JS kernel ran on a backend other than cpu or wasm');
}

/** A JS kernel's float32 output on cpu or wasm (read every input before: this may move the heap). */
export function writeFloat32(
  backend: unknown,
  shape: number[],
  values: Float32Array,
): tf.TensorInfo {
  if (hasHeap(backend)) {
    const out = backend.makeOutput(shape, 'float32');
    (backend.typedArrayFromHeap(out) as Float32Array).set(values);
    return out;
  }
  if (isCpuBackend(backend)) return backend.makeTensorInfo(shape, 'float32', values);
  throw new Error('a JS kernel ran on a backend other than cpu or wasm');
}

/** The parts of tfjs-backend-webgpu's backend a custom program needs. */
export interface WebgpuProgramBackend {
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    programDefinedUniform?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

export function isWebgpuProgramBackend(backend: unknown): backend is WebgpuProgramBackend {
  return typeof (backend as Partial<WebgpuProgramBackend> | null)?.runWebGPUProgram === 'function';
}

/**
 * A webgpu program with one invocation per output element, 64 to a workgroup: its WGSL is a
 * `fn main(index : i32)` guarded by `index < uniforms.size` (tfjs writes the rest around it).
 */
export abstract class FlatProgram {
  abstract readonly variableNames: string[];
  abstract readonly shaderKey: string;
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];

  constructor(shape: readonly number[]) {
    this.outputShape = [...shape];
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape([...shape]) / 64), 1, 1];
  }

  abstract getUserCode(): string;
}

/** Registers a kernel unless `backendName` has one by that name already. */
export function registerKernelOnce(
  kernelName: string,
  backendName: string,
  kernelFunc: tf.KernelFunc,
): void {
  if (tf.getKernel(kernelName, backendName) === undefined) {
    tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
}

type Shape4 = [number, number, number, number];

/** tfjs's NHWC conv geometry (also what the native kernels take). */
export function convInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  dilations: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    [...inShape] as Shape4,
    [...filterShape] as Shape4,
    strides,
    dilations,
    pad,
    dimRoundingMode,
  );
}

/** tfjs's NHWC pooling geometry of `input`. */
export function poolInfo(
  input: tf.TensorInfo,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: Rounding,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    input.shape as Shape4,
    filterSize,
    strides,
    1,
    pad as 'valid' | 'same' | number,
    dimRoundingMode,
  );
}
