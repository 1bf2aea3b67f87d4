// Metrics over the training batches themselves (the logits the step already computed, so no
// second forward pass). Evaluation sets go through @iwlab/metrics' evaluateSets.
import type { Batch, Metric, MetricValues } from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { disposeReplaced } from './internal/tensors.js';

/** Streaming state for a list of metrics over one pass. */
export class MetricAccumulator {
  readonly #metrics: readonly Metric<unknown>[];
  #states: unknown[];
  constructor(metrics: readonly Metric<unknown>[]) {
    this.#metrics = metrics;
    this.#states = metrics.map((m) => m.init());
  }

  update(logits: tf.Tensor2D, batch: Batch): void {
    this.#states = this.#metrics.map((metric, i) => {
      const previous = this.#states[i];
      // tidy frees the metric's intermediates; the new state's tensors survive it.
      const next = tf.tidy(() => metric.update(previous, logits, batch) as tf.TensorContainer);
      disposeReplaced(previous, next);
      return next;
    });
  }

  /** Reads every metric back and frees the state. Keys from two metrics must not collide. */
  async results(context: string): Promise<MetricValues> {
    const out: MetricValues = {};
    try {
      for (const [i, metric] of this.#metrics.entries()) {
        const values = await metric.result(this.#states[i]);
        for (const [key, value] of Object.entries(values)) {
          if (key in out) {
            throw new SpecError(`two metrics both report "${key}"; rename one`, {
              field: `${context}.${metric.name}`,
            });
          }
          out[key] = value;
        }
      }
    } finally {
      this.dispose();
    }
    return out;
  }

  dispose(): void {
    if (this.#states.length === 0) return;
    this.#metrics.forEach((metric, i) => {
      const state = this.#states[i];
      if (metric.dispose) metric.dispose(state);
      disposeReplaced(state, undefined);
    });
    this.#states = [];
  }
}

export function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.y.dispose();
  batch.w.dispose();
  batch.group?.dispose();
}
