import * as tf from '@tensorflow/tfjs-core';

// Each step's objective is kept on the backend, untouched, until the next non-finite check reads
// them all back at once. That costs no op per step (an on-device "first bad step" tracker cost
// six, which on a dispatch-bound GPU is a measurable share of a small model's step), and still
// names the exact first step whose objective was NaN or ±Infinity.

/** Scalars are stacked into one vector per CHUNK steps, so no op ever takes too many inputs. */
const CHUNK = 256;

export class ObjectiveLog {
  #firstStep: number;
  #pending: tf.Scalar[] = [];
  #chunks: tf.Tensor1D[] = [];

  constructor(firstStep: number) {
    this.#firstStep = firstStep;
  }

  /** Takes ownership of `objective`, the objective of the next step. */
  push(objective: tf.Scalar): void {
    this.#pending.push(objective);
    if (this.#pending.length === CHUNK) {
      this.#chunks.push(tf.stack(this.#pending) as tf.Tensor1D);
      tf.dispose(this.#pending);
      this.#pending = [];
    }
  }

  /**
   * Reads the logged objectives back (one read) and returns the global step of the first
   * non-finite one, or -1; then starts a new log at the step after the last one logged.
   */
  async firstNonFinite(): Promise<number> {
    const parts: tf.Tensor1D[] = [...this.#chunks];
    if (this.#pending.length > 0) parts.push(tf.stack(this.#pending) as tf.Tensor1D);
    if (parts.length === 0) return -1;
    const all = parts.length === 1 ? (parts[0] as tf.Tensor1D) : tf.concat(parts);
    const values = await all.data();
    const count = values.length;
    tf.dispose([all, ...parts]);
    this.dispose();
    const start = this.#firstStep;
    this.#firstStep += count;
    const index = values.findIndex((v) => !Number.isFinite(v));
    return index < 0 ? -1 : start + index;
  }

  dispose(): void {
    tf.dispose([...this.#pending, ...this.#chunks]);
    this.#pending = [];
    this.#chunks = [];
  }
}
