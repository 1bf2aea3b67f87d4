// Our own small optimizers rather than tf.train's: weight decay must be explicit (coupled into the
// gradient, or decoupled as in SGDW/AdamW) and distinct from the model's L2 penalty, and the
// whole state must be exportable for checkpoints (tfjs's slot names are private and its Adam keeps
// its step count in a variable we could not restore exactly).
import { DESCENT_STEP_KERNEL, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { type LrSpec, validateLrSpec } from './schedules.js';

interface WeightDecayOptions {
  /** Decay coefficient (0 = none). Not the model's L2 penalty, which is part of the loss. */
  readonly weightDecay?: number;
  /**
   * false (default): add weightDecay·θ to the gradient before momentum/Adam (PyTorch's
   * `weight_decay`). true: shrink θ by lr·weightDecay·θ outside the update (SGDW, AdamW).
   */
  readonly decoupledWeightDecay?: boolean;
}

export interface SgdSpec extends WeightDecayOptions {
  readonly kind: 'sgd';
  readonly lr: LrSpec;
  /** Heavy-ball momentum (PyTorch convention: buf = m·buf + g; θ -= lr·buf). */
  readonly momentum?: number;
  /** Nesterov momentum: θ -= lr·(g + m·buf). Needs momentum > 0. */
  readonly nesterov?: boolean;
}

export interface AdamSpec extends WeightDecayOptions {
  readonly kind: 'adam';
  readonly lr: LrSpec;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

export type OptimizerSpec = SgdSpec | AdamSpec;

/** What a checkpoint needs to continue an optimizer exactly. */
export interface OptimizerState {
  /** Updates applied so far (Adam's bias correction depends on it). */
  readonly iterations: number;
  /** Slot tensors by slot name, one per variable, in variable order. */
  readonly slots: Readonly<Record<string, readonly tf.Tensor[]>>;
}

export interface Optimizer {
  readonly spec: OptimizerSpec;
  /** Applies one update to `variables` from `grads` (same order) at learning rate `lr`. */
  apply(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: tf.Scalar): void;
  /** The current state; the tensors stay owned by the optimizer. */
  getState(): OptimizerState;
  /** Replaces the state with copies of `state`'s tensors. */
  setState(state: OptimizerState): void;
  dispose(): void;
}

function inRange(value: number | undefined, field: string, lo: number, hiExclusive: number): void {
  if (value === undefined) return;
  if (!(value >= lo && value < hiExclusive)) {
    throw new SpecError(`must be in [${lo}, ${hiExclusive}), got ${value}`, { field });
  }
}

/** Rejects impossible optimizer settings before training starts, naming the field. */
export function validateOptimizerSpec(spec: OptimizerSpec, field = 'optimizer'): void {
  validateLrSpec(spec.lr, `${field}.lr`);
  inRange(spec.weightDecay, `${field}.weightDecay`, 0, Number.POSITIVE_INFINITY);
  switch (spec.kind) {
    case 'sgd':
      inRange(spec.momentum, `${field}.momentum`, 0, 1);
      if (spec.nesterov && !(spec.momentum !== undefined && spec.momentum > 0)) {
        throw new SpecError('Nesterov momentum needs momentum > 0', { field: `${field}.nesterov` });
      }
      return;
    case 'adam':
      inRange(spec.beta1, `${field}.beta1`, 0, 1);
      inRange(spec.beta2, `${field}.beta2`, 0, 1);
      if (spec.epsilon !== undefined && !(spec.epsilon > 0)) {
        throw new SpecError(`must be > 0, got ${spec.epsilon}`, { field: `${field}.epsilon` });
      }
      return;
    default:
      throw new SpecError(
        `unknown optimizer "${String((spec as { kind: unknown }).kind)}"; use sgd or adam`,
        { field: `${field}.kind` },
      );
  }
}

/**
 * θ − lr·d: one kernel where the backend has @iwlab/core's DESCENT_STEP_KERNEL (`fused`, looked
 * up once per update; @iwlab/backend registers it on cpu and webgpu), else tfjs's mul and sub,
 * rounded the same way.
 */
function descentStep(
  variable: tf.Variable,
  direction: tf.Tensor,
  lr: tf.Scalar,
  fused: boolean,
): tf.Tensor {
  if (
    fused &&
    variable.dtype === 'float32' &&
    direction.dtype === 'float32' &&
    lr.dtype === 'float32' &&
    tf.util.arraysEqual(variable.shape, direction.shape)
  ) {
    return tf
      .engine()
      .runKernel(DESCENT_STEP_KERNEL, { x: variable, dx: direction, lr }) as tf.Tensor;
  }
  return tf.sub(variable, tf.mul(direction, lr));
}

/** Slots created lazily on the first update, so shapes come from the variables themselves. */
abstract class SlottedOptimizer implements Optimizer {
  protected iterations = 0;
  protected slots: Record<string, tf.Variable[]> = {};
  constructor(
    readonly spec: OptimizerSpec,
    private readonly slotNames: readonly string[],
  ) {}

  protected ensureSlots(variables: readonly tf.Variable[]): void {
    for (const name of this.slotNames) {
      const existing = this.slots[name];
      if (existing && existing.length === variables.length) continue;
      if (existing) {
        throw new SpecError(
          `optimizer state has ${existing.length} "${name}" slots but the model has ${variables.length} trainable variables`,
          { field: `optimizer.slots.${name}` },
        );
      }
      // tidy frees the initial value; the variable keeps its own reference to the data.
      this.slots[name] = variables.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
    }
  }

  apply(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: tf.Scalar): void {
    if (grads.length !== variables.length) {
      throw new SpecError(`got ${grads.length} gradients for ${variables.length} variables`, {
        field: 'grads',
      });
    }
    this.ensureSlots(variables);
    this.iterations += 1;
    const decay = this.spec.weightDecay ?? 0;
    const decoupled = this.spec.decoupledWeightDecay ?? false;
    const fused = tf.getKernel(DESCENT_STEP_KERNEL, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      variables.forEach((variable, i) => {
        let g = grads[i] as tf.Tensor;
        if (decay > 0 && !decoupled) g = tf.add(g, tf.mul(variable, decay));
        let next = descentStep(variable, this.direction(i, g), lr, fused);
        if (decay > 0 && decoupled) next = tf.sub(next, tf.mul(variable, tf.mul(lr, decay)));
        variable.assign(next);
      });
    });
  }

  /** The step direction for variable `i` (to be scaled by -lr); updates this variable's slots. */
  protected abstract direction(i: number, g: tf.Tensor): tf.Tensor;

  protected slot(name: string, i: number): tf.Variable {
    return this.slots[name]?.[i] as tf.Variable;
  }

  getState(): OptimizerState {
    return { iterations: this.iterations, slots: this.slots };
  }

  setState(state: OptimizerState): void {
    for (const name of Object.keys(state.slots)) {
      if (!this.slotNames.includes(name)) {
        throw new SpecError(`${this.spec.kind} has no slot "${name}"`, {
          field: `optimizer.slots.${name}`,
        });
      }
    }
    this.dispose();
    this.iterations = state.iterations;
    for (const name of this.slotNames) {
      const tensors = state.slots[name];
      if (tensors) {
        this.slots[name] = tensors.map((t) => tf.tidy(() => tf.variable(t.clone(), false)));
      }
    }
  }

  dispose(): void {
    for (const vars of Object.values(this.slots)) for (const v of vars) v.dispose();
    this.slots = {};
  }
}

class Sgd extends SlottedOptimizer {
  readonly #momentum: number;
  readonly #nesterov: boolean;
  constructor(spec: SgdSpec) {
    const momentum = spec.momentum ?? 0;
    super(spec, momentum > 0 ? ['momentum'] : []);
    this.#momentum = momentum;
    this.#nesterov = spec.nesterov ?? false;
  }
  protected direction(i: number, g: tf.Tensor): tf.Tensor {
    if (this.#momentum === 0) return g;
    const buf = this.slot('momentum', i);
    // The first update starts the buffer at g (buf starts at 0, so m·0 + g = g).
    const next = tf.add(tf.mul(buf, this.#momentum), g);
    buf.assign(next);
    return this.#nesterov ? tf.add(g, tf.mul(next, this.#momentum)) : next;
  }
}

class Adam extends SlottedOptimizer {
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #epsilon: number;
  constructor(spec: AdamSpec) {
    super(spec, ['m', 'v']);
    this.#beta1 = spec.beta1 ?? 0.9;
    this.#beta2 = spec.beta2 ?? 0.999;
    this.#epsilon = spec.epsilon ?? 1e-8;
  }
  protected direction(i: number, g: tf.Tensor): tf.Tensor {
    const m = this.slot('m', i);
    const v = this.slot('v', i);
    const mNext = tf.add(tf.mul(m, this.#beta1), tf.mul(g, 1 - this.#beta1));
    const vNext = tf.add(tf.mul(v, this.#beta2), tf.mul(tf.square(g), 1 - this.#beta2));
    m.assign(mNext);
    v.assign(vNext);
    // Bias corrections are plain numbers: the step count lives on the CPU, no read-back needed.
    const c1 = 1 - this.#beta1 ** this.iterations;
    const c2 = 1 - this.#beta2 ** this.iterations;
    return tf.div(tf.div(mNext, c1), tf.add(tf.sqrt(tf.div(vNext, c2)), this.#epsilon));
  }
}

export function createOptimizer(spec: OptimizerSpec): Optimizer {
  validateOptimizerSpec(spec);
  return spec.kind === 'sgd' ? new Sgd(spec) : new Adam(spec);
}
