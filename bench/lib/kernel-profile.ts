// Kernel times of a training step through tf.profile, shared by profile-step.ts (wasm, per-kernel
// wall time) and webgpu-anatomy.ts (webgpu, GPU time through timestamp queries).
import * as tf from '@tensorflow/tfjs-core';

export interface KernelTimes {
  /** ms per step by call (kernel name and input shapes), costliest first. */
  readonly byCall: [string, number][];
  /** ms per step by kernel name, summed over shapes, costliest first. */
  readonly byKernel: [string, number][];
}

/**
 * Profiles `steps` calls of `step` and averages each kernel's time over them. Kernels whose
 * backend gives no time (an error object instead of a number) are left out.
 */
export async function profileKernels(
  step: (i: number) => tf.TensorContainer,
  steps: number,
): Promise<KernelTimes> {
  const byCall = new Map<string, number>();
  for (let s = 0; s < steps; s++) {
    const profile = await tf.profile(() => step(s));
    tf.dispose(profile.result);
    for (const k of profile.kernels) {
      const ms = await k.kernelTimeMs;
      if (typeof ms !== 'number') continue;
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      byCall.set(key, (byCall.get(key) ?? 0) + ms / steps);
    }
  }
  const byKernel = new Map<string, number>();
  for (const [key, ms] of byCall) {
    const name = key.slice(0, key.indexOf(' '));
    byKernel.set(name, (byKernel.get(name) ?? 0) + ms);
  }
  const costliestFirst = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { byCall: costliestFirst(byCall), byKernel: costliestFirst(byKernel) };
}
