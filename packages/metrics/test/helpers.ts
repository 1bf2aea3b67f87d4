// Builds batches and streams from plain arrays. In these tests the inputs x are the logits
// themselves, so `identity` is the model and every expected value can be worked out by hand.
import type { Batch, BatchStream, Metric, MetricValues } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

export interface RawBatch {
  logits: number[][];
  y: number[];
  w?: number[];
  group?: number[];
}

export function makeBatch(raw: RawBatch): Batch {
  const w = raw.w ?? raw.y.map(() => 1);
  return {
    x: tf.tensor2d(raw.logits, [raw.logits.length, raw.logits[0]?.length ?? 1]),
    y: tf.tensor1d(raw.y, 'int32'),
    w: tf.tensor1d(w, 'float32'),
    ...(raw.group === undefined ? {} : { group: tf.tensor1d(raw.group, 'int32') }),
  };
}

export function streamOf(batches: RawBatch[]): BatchStream {
  return {
    numExamples: batches.reduce((n, b) => n + b.y.length, 0),
    batchSize: batches[0]?.y.length ?? 0,
    async *epoch() {
      for (const raw of batches) yield makeBatch(raw);
    },
  };
}

export const identity = (x: tf.Tensor) => x as tf.Tensor2D;

/** Feeds the batches to one metric by hand (no evaluate) and frees everything. */
export async function run<S>(metric: Metric<S>, batches: RawBatch[]): Promise<MetricValues> {
  let state = metric.init();
  try {
    for (const raw of batches) {
      const batch = makeBatch(raw);
      try {
        state = metric.update(state, batch.x as tf.Tensor2D, batch);
      } finally {
        for (const t of [batch.x, batch.y, batch.w, batch.group]) t?.dispose();
      }
    }
    return await metric.result(state);
  } finally {
    metric.dispose?.(state);
  }
}

/** Logits that make `predicted` the argmax of each row. */
export function logitsFor(predicted: number[], numClasses: number): number[][] {
  return predicted.map((p) => Array.from({ length: numClasses }, (_, k) => (k === p ? 3 : 0)));
}
