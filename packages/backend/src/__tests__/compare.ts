// Comparing a backend's results with the cpu backend's (the reference): shared by the wasm and
// webgpu kernel tests.
import type { Rng } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs `build` on a backend and reads every result back (async: sync reads fail on webgpu in Node). */
export async function on(backend: string, build: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = build();
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return values;
}

/** max|a - b| / max|b| over a whole tensor. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / Math.max(scale, 1e-30);
}

/** Every output of `build` on `backend` is within `tolerance` (relative) of the cpu backend's. */
export async function expectSameAsCpu(
  backend: string,
  build: () => tf.Tensor[],
  tolerance = 1e-4,
): Promise<void> {
  const actual = await on(backend, build);
  const reference = await on('cpu', build);
  expect(actual.length).toBe(reference.length);
  for (const [i, ref] of reference.entries()) {
    expect(relativeError(actual[i] as Float32Array, ref), `output ${i}`).toBeLessThanOrEqual(
      tolerance,
    );
  }
}

/** A tensor of standard normal draws. */
export function values(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal()),
    shape,
  );
}
