// Sums and means over the leading axes (bias gradients: dy summed over batch and space; batch
// norm's batch statistics) as one matrix-vector product. Wasm's Sum transposes the reduced axes to
// the end first: 12 ms for a 64x32x32x32 tensor over axes [0,1,2], against 1.2 ms as
// ones[1,N]·x[N,C] (CPU time); its Mean took 39 ms for the same shape.
import * as tf from '@tensorflow/tfjs-core';

/**
 * The sum (or with `mean`, the mean) over `axis`; null unless the axes are exactly the leading
 * axes of a float32 tensor (and not all of them).
 */
export function sumLeadingAxes(
  x: tf.Tensor,
  axis: number | number[],
  keepDims: boolean,
  mean = false,
): tf.Tensor | null {
  if (x.dtype !== 'float32') return null;
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
  const k = axes.length;
  if (k === 0 || k >= x.rank || axes.some((a, i) => a !== i)) return null;
  const rows = x.shape.slice(0, k).reduce((p, q) => p * q, 1);
  const rest = x.shape.slice(k);
  const cols = rest.reduce((p, q) => p * q, 1);
  return tf.tidy(() => {
    const weights = mean ? tf.fill([1, rows], 1 / rows) : tf.ones([1, rows]);
    const total = tf.matMul(weights, tf.reshape(x, [rows, cols]));
    return tf.reshape(total, keepDims ? [...axes.map(() => 1), ...rest] : rest);
  });
}
