// Softmax cross-entropy from integer labels as one kernel, and its gradient as one more
// (contract: SPARSE_SOFTMAX_CE_KERNEL in @iwlab/core; @iwlab/losses calls it where registered).
// tfjs ops compose the loss from max, sub, exp, sum, log, oneHot, cast, mul...: @iwlab/losses' `ce`
// with its gradient was 58 kernels on the cpu backend (the engine's Identity clones included),
// 8 with these two. Every kernel costs CPU time to launch: on webgpu the loss was ~20 of the small
// CNN's 76 GPU programs per step, and these kernels took its CPU share from ~2.5 to ~1.7 ms
// (bench/RESULTS.md, session 4). The loss itself is a few operations per logit.
import { SPARSE_SOFTMAX_CE_GRAD_KERNEL, SPARSE_SOFTMAX_CE_KERNEL } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  FlatProgram,
  isWebgpuProgramBackend,
  readValues,
  registerKernelOnce,
  writeFloat32,
} from './geometry.js';

/** Per-row log-sum-exp pieces, in float64; NaN max for a row with a non-finite logit. */
function rowStats(z: ArrayLike<number>, base: number, k: number): { max: number; total: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < k; j++) {
    const v = z[base + j] as number;
    if (!Number.isFinite(v)) return { max: Number.NaN, total: Number.NaN };
    if (v > max) max = v;
  }
  let total = 0;
  for (let j = 0; j < k; j++) total += Math.exp((z[base + j] as number) - max);
  return { max, total };
}

function lossRows(z: ArrayLike<number>, labels: ArrayLike<number>, b: number, k: number) {
  const out = new Float32Array(b);
  for (let i = 0; i < b; i++) {
    const base = i * k;
    const { max, total } = rowStats(z, base, k);
    const y = labels[i] as number;
    const picked = y >= 0 && y < k ? (z[base + y] as number) : 0;
    // (max − z_y) first: exact for the true class's own maximum, where the loss is smallest.
    out[i] = max - picked + Math.log(total);
  }
  return out;
}

function gradRows(
  dy: ArrayLike<number>,
  z: ArrayLike<number>,
  labels: ArrayLike<number>,
  b: number,
  k: number,
) {
  const out = new Float32Array(b * k);
  for (let i = 0; i < b; i++) {
    const base = i * k;
    const { max, total } = rowStats(z, base, k);
    const scale = dy[i] as number;
    const y = labels[i] as number;
    for (let j = 0; j < k; j++) {
      const p = Math.exp((z[base + j] as number) - max) / total;
      out[base + j] = scale * (p - (j === y ? 1 : 0));
    }
  }
  return out;
}

function dims(logits: tf.TensorInfo): [number, number] {
  const [b, k] = logits.shape;
  if (logits.shape.length !== 2 || b === undefined || k === undefined) {
    throw new Error(`${SPARSE_SOFTMAX_CE_KERNEL}: logits must be [B, K], got [${logits.shape}]`);
  }
  return [b, k];
}

// The WGSL below: row statistics as in rowStats, in float32. `isnan`/`isinf` and
// `uniforms.NAN` come from tfjs's shader prelude (isnan tests the bits, so it survives
// fast-math compilers).
const ROW_STATS = `
  fn rowFinite(base : i32, k : i32) -> bool {
    for (var j = 0; j < k; j++) {
      let v = logits[base + j];
      if (isnan(v) || isinf(v)) { return false; }
    }
    return true;
  }
  fn rowMax(base : i32, k : i32) -> f32 {
    var m = logits[base];
    for (var j = 1; j < k; j++) { m = max(m, logits[base + j]); }
    return m;
  }
  fn rowTotal(base : i32, k : i32, m : f32) -> f32 {
    var total = 0.0;
    for (var j = 0; j < k; j++) { total = total + exp(logits[base + j] - m); }
    return total;
  }
`;

/**
 * Both programs: one invocation per output, on the row `base` (K = numClasses logits from there);
 * a row with a non-finite logit writes NaN, anything else runs the subclass's `body`, which has
 * `k`, `row`, `base` and the row maximum `m` in scope.
 */
abstract class RowProgram extends FlatProgram {
  readonly uniforms = 'numClasses : i32,';
  /** Which row output `index` reads. */
  protected abstract readonly rowOfIndex: string;
  protected abstract body(): string;

  getUserCode(): string {
    return `
      ${ROW_STATS}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let k = uniforms.numClasses;
          let row = ${this.rowOfIndex};
          let base = row * k;
          if (!rowFinite(base, k)) {
            result[index] = uniforms.NAN;
            return;
          }
          let m = rowMax(base, k);
          ${this.body()}
        }
      }
    `;
  }
}

/** One invocation per example (B is at most a batch; K is small in this project's tasks). */
class LossProgram extends RowProgram {
  readonly variableNames = ['logits', 'labels'];
  readonly shaderKey = 'iwlabSparseSoftmaxCe';
  protected readonly rowOfIndex = 'index';

  protected body(): string {
    return `
      let y = labels[row];
      var picked = 0.0;
      if (y >= 0 && y < k) { picked = logits[base + y]; }
      result[index] = (m - picked) + log(rowTotal(base, k, m));
    `;
  }
}

/** One invocation per logit: each recomputes its row's statistics (K reads, cached). */
class GradProgram extends RowProgram {
  readonly variableNames = ['dy', 'logits', 'labels'];
  readonly shaderKey = 'iwlabSparseSoftmaxCeGrad';
  protected readonly rowOfIndex = 'index / k';

  protected body(): string {
    return `
      let p = exp(logits[index] - m) / rowTotal(base, k, m);
      let isLabel = labels[row] == index - base;
      result[index] = dy[row] * (p - select(0.0, 1.0, isLabel));
    `;
  }
}

type LossInputs = { logits: tf.TensorInfo; labels: tf.TensorInfo };
type GradInputs = LossInputs & { dy: tf.TensorInfo };

function lossKernel({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }) {
  const { logits, labels } = inputs as LossInputs;
  const [b, k] = dims(logits);
  if (isWebgpuProgramBackend(backend)) {
    return backend.runWebGPUProgram(new LossProgram([b]), [logits, labels], 'float32', [
      { type: 'int32', data: [k] },
    ]);
  }
  return writeFloat32(
    backend,
    [b],
    lossRows(readValues(backend, logits), readValues(backend, labels), b, k),
  );
}

function gradKernel({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }) {
  const { dy, logits, labels } = inputs as GradInputs;
  const [b, k] = dims(logits);
  if (isWebgpuProgramBackend(backend)) {
    return backend.runWebGPUProgram(new GradProgram([b, k]), [dy, logits, labels], 'float32', [
      { type: 'int32', data: [k] },
    ]);
  }
  const values = gradRows(
    readValues(backend, dy),
    readValues(backend, logits),
    readValues(backend, labels),
    b,
    k,
  );
  return writeFloat32(backend, [b, k], values);
}

let gradientsRegistered = false;

/**
 * Registers both kernels on `backendName` (cpu, wasm or webgpu; others are left to tfjs's ops)
 * and their gradients. Idempotent. Returns whether the backend has them now.
 */
export function installSoftmaxCrossEntropyKernels(backendName: string): boolean {
  if (!['cpu', 'wasm', 'webgpu'].includes(backendName)) return false;
  if (!gradientsRegistered) {
    gradientsRegistered = true;
    registerGradients();
  }
  registerKernelOnce(SPARSE_SOFTMAX_CE_KERNEL, backendName, lossKernel as tf.KernelFunc);
  registerKernelOnce(SPARSE_SOFTMAX_CE_GRAD_KERNEL, backendName, gradKernel as tf.KernelFunc);
  return true;
}

function registerGradients(): void {
  tf.registerGradient({
    kernelName: SPARSE_SOFTMAX_CE_KERNEL,
    inputsToSave: ['logits', 'labels'],
    gradFunc: (dy, saved) => {
      const [logits, labels] = saved as [tf.Tensor2D, tf.Tensor1D];
      return {
        logits: () =>
          tf.engine().runKernel(SPARSE_SOFTMAX_CE_GRAD_KERNEL, {
            dy: dy as tf.Tensor,
            logits,
            labels,
          }) as tf.Tensor,
        labels: () => tf.zerosLike(labels),
      };
    },
  });
  // Second order (rarely needed, so by ops): the kernel is dy·(p − onehot), linear in dy; in the
  // logits its Jacobian is dy·(diag(p) − p pᵀ), so a cotangent g maps to dy·p⊙(g − ⟨p, g⟩).
  tf.registerGradient({
    kernelName: SPARSE_SOFTMAX_CE_GRAD_KERNEL,
    inputsToSave: ['dy', 'logits', 'labels'],
    gradFunc: (g, saved) => {
      const [dy, logits, labels] = saved as [tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
      const cotangent = g as tf.Tensor2D;
      const probs = () => tf.softmax(logits);
      return {
        dy: () => tf.sum(tf.mul(cotangent, tf.sub(probs(), tf.oneHot(labels, logits.shape[1]))), 1),
        logits: () => {
          const p = probs();
          const centred = tf.sub(cotangent, tf.sum(tf.mul(p, cotangent), 1, true));
          return tf.mul(tf.expandDims(dy, 1), tf.mul(p, centred));
        },
        labels: () => tf.zerosLike(labels),
      };
    },
  });
}
