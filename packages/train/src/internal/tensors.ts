import * as tf from '@tensorflow/tfjs-core';

/** Every tensor reachable from `value` through plain objects and arrays. */
export function tensorsIn(value: unknown, into = new Set<tf.Tensor>()): Set<tf.Tensor> {
  if (value instanceof tf.Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, into);
  else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) tensorsIn(v, into);
  }
  return into;
}

/**
 * Disposes the tensors of `previous` that `next` no longer holds. Metrics may return a fresh
 * state or mutate and return the old one; either way nothing leaks and nothing live is freed.
 */
export function disposeReplaced(previous: unknown, next: unknown): void {
  const keep = tensorsIn(next);
  for (const t of tensorsIn(previous)) if (!keep.has(t)) t.dispose();
}
