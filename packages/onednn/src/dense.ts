// Checked entry points to the add-on's matrix product, row sum and max-pool gradient: the rest of
// a conv net's training step once its convolutions are native.
import { checkLength } from './conv2d.js';

export interface MatmulShape {
  /** Number of products; an operand marked broadcast is one matrix used for all of them. */
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** a is stored [k, m] (per batch) and used transposed. */
  readonly transposeA?: boolean;
  /** b is stored [n, k] (per batch) and used transposed. */
  readonly transposeB?: boolean;
  readonly broadcastA?: boolean;
  readonly broadcastB?: boolean;
}

/**
 * The pooling geometry, NHWC. TensorFlow.js's `backend_util.computePool2DInfo` result has these
 * fields.
 */
export interface Pool2dGeometry {
  readonly batchSize: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padInfo: { readonly top: number; readonly left: number };
}

export function positiveInt(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

export function checkMatmul(s: MatmulShape, a: Float32Array, b: Float32Array, out: Float32Array) {
  const batch = positiveInt('matmul: batch', s.batch);
  const m = positiveInt('matmul: m', s.m);
  const n = positiveInt('matmul: n', s.n);
  const k = positiveInt('matmul: k', s.k);
  checkLength('a', a, (s.broadcastA === true ? 1 : batch) * m * k);
  checkLength('b', b, (s.broadcastB === true ? 1 : batch) * k * n);
  checkLength('out', out, batch * m * n);
}

export function packPool(g: Pool2dGeometry): Int32Array {
  const values: [string, number, number][] = [
    ['batchSize', g.batchSize, 1],
    ['inHeight', g.inHeight, 1],
    ['inWidth', g.inWidth, 1],
    ['inChannels', g.inChannels, 1],
    ['outHeight', g.outHeight, 1],
    ['outWidth', g.outWidth, 1],
    ['filterHeight', g.filterHeight, 1],
    ['filterWidth', g.filterWidth, 1],
    ['strideHeight', g.strideHeight, 1],
    ['strideWidth', g.strideWidth, 1],
    ['padInfo.top', g.padInfo.top, 0],
    ['padInfo.left', g.padInfo.left, 0],
  ];
  for (const [field, value, min] of values) positiveInt(`pool geometry: ${field}`, value, min);
  return Int32Array.from(values, ([, value]) => value);
}
