// A convolution's input gradient on webgpu. tfjs-backend-webgpu 4.22 has two programs for it: a
// direct one (one thread per input element, the default) and an implicit GEMM like its forward
// convolution, taken when the tfjs flag WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE is false. On an NVIDIA
// H200 (session 9, timestamp queries, batch 128) the GEMM took 2.38-2.40 ms of GPU time per step of
// the B&L CNN against 3.43 ms for the direct program, and 0.15-0.20 against 0.24 ms for the small
// CNN; on llvmpipe the two are even. So the fast kernels take the GEMM.
import * as tf from '@tensorflow/tfjs-core';

export const NAIVE_INPUT_GRADIENT_FLAG = 'WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE';

/** 'tfjs': a tfjs-backend-webgpu without the flag, which chooses for itself. */
export type InputGradientProgram = 'gemm' | 'direct' | 'tfjs';

/**
 * Selects tfjs's GEMM input gradient unless the flag was already set (a user's choice stays).
 * Call after tfjs-backend-webgpu is imported, which registers the flag. Returns what runs.
 */
export function chooseWebgpuInputGradient(): InputGradientProgram {
  const env = tf.env();
  try {
    if (!(NAIVE_INPUT_GRADIENT_FLAG in env.getFlags())) env.set(NAIVE_INPUT_GRADIENT_FLAG, false);
    return env.getBool(NAIVE_INPUT_GRADIENT_FLAG) ? 'direct' : 'gemm';
  } catch {
    // tfjs throws on a flag nobody registered.
    return 'tfjs';
  }
}
