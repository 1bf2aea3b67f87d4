// Kernels that one package registers and another calls: the names and what they compute are the
// contract, so that @iwlab/losses can use a fused kernel where @iwlab/backend installed one
// without depending on it. A caller checks `tf.getKernel(name, tf.getBackend())` and falls back
// to tfjs ops where the current backend lacks the kernel (a user's own backend, tfjs-node, or
// `fastKernels: false`); both paths must give the same values and gradients.

/**
 * Softmax cross-entropy per example from integer labels, one kernel (with its gradient, 8 kernels
 * where tfjs ops took 58 on the cpu backend, the engine's Identity clones included).
 * - inputs `{ logits: float32 [B, K], labels: int32 [B] }`, output float32 `[B]`:
 *   `log Σ_j exp(z_bj) − z_b,y_b`, computed as `m + log Σ_j exp(z_bj − m)` with `m = max_j z_bj`.
 * - a label outside `[0, K)` selects no class: the row's value is the log-sum-exp alone (what
 *   `oneHot` gives the op-based formula).
 * - a row with any non-finite logit (NaN, ±∞) gives NaN.
 * - its gradient is {@link SPARSE_SOFTMAX_CE_GRAD_KERNEL}; labels get none.
 */
export const SPARSE_SOFTMAX_CE_KERNEL = 'IwlabSparseSoftmaxCrossEntropy';

/**
 * The gradient of {@link SPARSE_SOFTMAX_CE_KERNEL} with respect to the logits.
 * - inputs `{ dy: float32 [B], logits: float32 [B, K], labels: int32 [B] }`, output float32
 *   `[B, K]`: `dy_b · (softmax(z_b)_k − [k = y_b])`, NaN on rows with a non-finite logit.
 */
export const SPARSE_SOFTMAX_CE_GRAD_KERNEL = 'IwlabSparseSoftmaxCrossEntropyGrad';

/**
 * One descent step on one variable: inputs `{ x: float32, dx: float32 (x's shape), lr: float32 [] }`,
 * output float32 of x's shape: `x − lr·dx`, rounded as tfjs's `sub(x, mul(dx, lr))` rounds (the
 * product to float32 first). An optimizer runs it once per variable per step, where tfjs ops take
 * two kernels. It has no gradient: optimizer updates are not differentiated.
 */
export const DESCENT_STEP_KERNEL = 'IwlabDescentStep';
