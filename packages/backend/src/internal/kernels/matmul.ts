// Transposed matmuls without the slow path: wasm's BatchMatMul with transposeA took 97 ms for
// a[64x4096]ᵀ·g[64x128] where transposing a first and multiplying took 2.6 ms (transposeB: 32 ms
// vs 7 ms). Of the two ways to avoid a transposed operand (transpose it, or compute the
// transposed product and transpose the result) the one that moves fewer elements is taken.
import * as tf from '@tensorflow/tfjs-core';

function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const last = perm.length - 1;
  perm[last] = last - 1;
  perm[last - 1] = last;
  return tf.transpose(t, perm);
}

function size(rows: number, cols: number): number {
  return rows * cols;
}

/** a·b with the given transposes, computed with untransposed matmuls only. */
export function matMulWithoutTransposedOperands(
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor {
  const ar = a.shape[a.rank - 2] as number;
  const ac = a.shape[a.rank - 1] as number;
  const br = b.shape[b.rank - 2] as number;
  const bc = b.shape[b.rank - 1] as number;
  const m = transposeA ? ac : ar;
  const n = transposeB ? br : bc;
  return tf.tidy(() => {
    if (transposeA && transposeB) return swapLast(tf.matMul(b, a)); // aᵀbᵀ = (ba)ᵀ
    if (transposeA) {
      // aᵀb: transpose a, or (bᵀa)ᵀ: transpose b and the result.
      return size(ar, ac) <= size(br, bc) + size(m, n)
        ? tf.matMul(swapLast(a), b)
        : swapLast(tf.matMul(swapLast(b), a));
    }
    // abᵀ: transpose b, or (baᵀ)ᵀ: transpose a and the result.
    return size(br, bc) <= size(ar, ac) + size(m, n)
      ? tf.matMul(a, swapLast(b))
      : swapLast(tf.matMul(b, swapLast(a)));
  });
}

/**
 * tfjs's _FusedMatMul as separate ops. Stock wasm's fused kernel gets transposed operands wrong
 * (tfjs-backend-wasm 4.22: aᵀ·b + bias for a = [[1,2],[3,4],[5,6]], b = [[1,0],[0,1],[1,1]]
 * gave [[16,28],[28,30]] instead of [[16,28],[18,30]]), so with a transpose it is computed here:
 * the matmul through the BatchMatMul kernel, then the bias and the activation.
 */
export function fusedMatMulUnfused(
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
  bias: tf.Tensor | undefined,
  activation: string | undefined,
  preluWeights: tf.Tensor | undefined,
  leakyreluAlpha: number | undefined,
): tf.Tensor {
  return tf.tidy(() => {
    const product = tf.matMul(a, b, transposeA, transposeB);
    const y = bias === undefined ? product : tf.add(product, bias);
    switch (activation ?? 'linear') {
      case 'linear':
        return y;
      case 'relu':
        return tf.relu(y);
      case 'relu6':
        return tf.relu6(y);
      case 'elu':
        return tf.elu(y);
      case 'sigmoid':
        return tf.sigmoid(y);
      case 'leakyrelu':
        return tf.leakyRelu(y, leakyreluAlpha ?? 0.2);
      case 'prelu':
        if (preluWeights === undefined) throw new Error('prelu activation without its weights');
        return tf.prelu(y, preluWeights);
      default:
        throw new Error(`_FusedMatMul: unknown activation "${activation}"`);
    }
  });
}
