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
