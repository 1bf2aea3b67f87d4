// x − lr·dx as one kernel (contract: DESCENT_STEP_KERNEL in @iwlab/core; @iwlab/train's optimizers
// call it where registered). An optimizer applies it to every variable every step, and tfjs ops
// make it two kernels (mul, sub): 16 of the small CNN's 57 GPU programs per step on webgpu, each
// with its CPU cost to launch (bench/webgpu-anatomy.ts). On the cpu backend the loop below is
// also 7-9x faster than tfjs's two (1M elements: 4.3-5.3 against 38-45 ms; 512: 3 against 20 us).
import { DESCENT_STEP_KERNEL } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  FlatProgram,
  isWebgpuProgramBackend,
  readValues,
  registerKernelOnce,
  writeFloat32,
} from './geometry.js';

class DescentStepProgram extends FlatProgram {
  readonly variableNames = ['x', 'dx', 'lr'];
  readonly shaderKey = 'iwlabDescentStep';

  getUserCode(): string {
    // The product is a separate statement, as tfjs's mul then sub round it.
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let step = lr[0] * dx[index];
          result[index] = x[index] - step;
        }
      }
    `;
  }
}

type Inputs = { x: tf.TensorInfo; dx: tf.TensorInfo; lr: tf.TensorInfo };

function descentStep({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }) {
  const { x, dx, lr } = inputs as Inputs;
  if (!tf.util.arraysEqual(x.shape, dx.shape) || tf.util.sizeFromShape(lr.shape) !== 1) {
    throw new Error(
      `${DESCENT_STEP_KERNEL}: x [${x.shape}] and dx [${dx.shape}] must match and lr be a scalar`,
    );
  }
  if (isWebgpuProgramBackend(backend)) {
    return backend.runWebGPUProgram(new DescentStepProgram(x.shape), [x, dx, lr], 'float32');
  }
  const xs = readValues(backend, x);
  const ds = readValues(backend, dx);
  const rate = readValues(backend, lr)[0] as number;
  const out = new Float32Array(xs.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = (xs[i] as number) - Math.fround(rate * (ds[i] as number));
  }
  return writeFloat32(backend, [...x.shape], out);
}

/**
 * Registers the kernel on cpu or webgpu (idempotent); false for other backends. Not on wasm: its
 * SIMD mul and sub beat a JS loop on the heap by far more than a kernel launch costs there
 * (1M elements: 0.55-0.95 ms against 5.4 ms; 512: 9-11 us against 5-6 us), while the cpu
 * backend's own mul and sub are slower JS loops (1M: ~40 ms against ~5 ms).
 */
export function installDescentStepKernel(backendName: string): boolean {
  if (!['cpu', 'webgpu'].includes(backendName)) return false;
  registerKernelOnce(DESCENT_STEP_KERNEL, backendName, descentStep as tf.KernelFunc);
  return true;
}
