// ReLU's gradient as one GPU program on webgpu. tfjs differentiates relu(x) as
// mul(dy, cast(step(x))): three kernels, two GPU programs and an extra pass over the activations,
// for every ReLU of every training step. On webgpu, where each kernel costs CPU time to record
// (see webgpu-dispatch.ts), one program that selects dy where x > 0 does the same.
import * as tf from '@tensorflow/tfjs-core';
import { FlatProgram, isWebgpuProgramBackend } from './geometry.js';

const RELU_GRAD = 'IwlabReluGrad';

class ReluGradProgram extends FlatProgram {
  readonly variableNames = ['dy', 'x'];
  readonly shaderKey = 'iwlabReluGrad';

  getUserCode(): string {
    // NaN in x gives NaN, as tfjs's step does.
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let v = x[index];
          result[index] = select(select(0.0, dy[index], v > 0.0), v, isnan(v));
        }
      }
    `;
  }
}

/** tfjs's own formula, for backends without the kernel and for non-float inputs. */
function reluGradByOps(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const fused =
    x.dtype === 'float32' &&
    dy.dtype === 'float32' &&
    tf.util.arraysEqual(dy.shape, x.shape) &&
    tf.getKernel(RELU_GRAD, tf.getBackend()) !== undefined;
  return fused ? (tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor) : reluGradByOps(dy, x);
}

let installed = false;

/**
 * Registers the one-program ReLU gradient kernel for webgpu and makes Relu's gradient use it
 * where the current backend has it (elsewhere tfjs's formula, unchanged). Idempotent.
 */
export function installWebgpuReluGrad(): void {
  if (installed) return;
  installed = true;
  tf.registerKernel({
    kernelName: RELU_GRAD,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      if (!isWebgpuProgramBackend(backend)) {
        throw new Error(`${RELU_GRAD}: registered for webgpu but run on another backend`);
      }
      return backend.runWebGPUProgram(new ReluGradProgram(x.shape), [dy, x], 'float32');
    },
  });
  // Second-order gradients: the kernel is linear in dy and piecewise constant in x.
  tf.registerGradient({
    kernelName: RELU_GRAD,
    inputsToSave: ['x'],
    gradFunc: (ddx, saved) => {
      const [x] = saved as [tf.Tensor];
      const d = ddx as tf.Tensor;
      return { dy: () => reluGrad(d, x), x: () => tf.zerosLike(x) };
    },
  });
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return { x: () => reluGrad(dy as tf.Tensor, x) };
    },
  });
}
