// One pass over an evaluation set feeding every metric: the trainer calls this once per epoch and
// per eval set. Metrics accumulate on the backend; the only read-backs are in `result`, after the
// last batch.
import type {
  Batch,
  BatchStream,
  EvalSet,
  Metric,
  MetricValues,
  TrainableModel,
} from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

/** Something that maps inputs to logits [B, K]: a function, or a model (called with training=false). */
export type Predictor = ((x: tf.Tensor) => tf.Tensor2D) | Pick<TrainableModel, 'apply'>;

export interface EvaluateOptions {
  /** Which epoch of the stream to iterate (default 0; the order does not change any metric). */
  readonly epoch?: number;
}

/**
 * Runs `metrics` over every batch of `data` in one pass and returns their results merged into one
 * object. Two metrics reporting the same key is an error (wrap one in `withPrefix`).
 *
 * Ownership: evaluate disposes every tensor of every batch, the logits, and the metric states
 * (via `dispose`). It hands each state to `update` once and keeps only the state `update` returns,
 * so a metric's `update` must free whatever of the old state it does not carry over (all metrics
 * of this package do).
 */
export async function evaluate(
  predictor: Predictor,
  data: EvalSet | BatchStream,
  metrics: readonly Metric<unknown>[],
  options: EvaluateOptions = {},
): Promise<MetricValues> {
  const stream = 'data' in data ? data.data : data;
  const apply =
    typeof predictor === 'function' ? predictor : (x: tf.Tensor) => predictor.apply(x, false);
  let states = metrics.map((m) => m.init());
  try {
    for await (const batch of stream.epoch(options.epoch ?? 0)) {
      try {
        const logits = tf.tidy(() => apply(batch.x));
        try {
          states = metrics.map((m, i) => m.update(states[i], logits, batch));
        } finally {
          logits.dispose();
        }
      } finally {
        disposeBatch(batch);
      }
    }
    const merged: MetricValues = {};
    const owner = new Map<string, string>();
    for (const [i, metric] of metrics.entries()) {
      const values = await metric.result(states[i]);
      for (const [key, value] of Object.entries(values)) {
        const previous = owner.get(key);
        if (previous !== undefined) {
          throw new SpecError(
            `metrics "${previous}" and "${metric.name}" both report "${key}"; wrap one in withPrefix`,
            { field: 'metrics' },
          );
        }
        owner.set(key, metric.name);
        merged[key] = value;
      }
    }
    return merged;
  } finally {
    for (const [i, m] of metrics.entries()) m.dispose?.(states[i]);
  }
}

/** `evaluate` on each set; results keyed by set name (names must be unique). */
export async function evaluateSets(
  predictor: Predictor,
  sets: readonly EvalSet[],
  metrics: readonly Metric<unknown>[],
  options: EvaluateOptions = {},
): Promise<Record<string, MetricValues>> {
  const out: Record<string, MetricValues> = {};
  for (const [i, set] of sets.entries()) {
    if (Object.hasOwn(out, set.name)) {
      throw new SpecError(`eval set name "${set.name}" is used twice`, {
        field: `evalSets[${i}].name`,
      });
    }
    out[set.name] = await evaluate(predictor, set, metrics, options);
  }
  return out;
}

/** The same metric with every result key written `<prefix>.<key>` (e.g. two risks, two losses). */
export function withPrefix<S>(metric: Metric<S>, prefix: string): Metric<S> {
  if (prefix === '') throw new SpecError('prefix must not be empty', { field: 'prefix' });
  return {
    ...metric,
    name: `${prefix}.${metric.name}`,
    async result(state) {
      const values = await metric.result(state);
      return Object.fromEntries(Object.entries(values).map(([k, v]) => [`${prefix}.${k}`, v]));
    },
  };
}

function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.y.dispose();
  batch.w.dispose();
  batch.group?.dispose();
}
