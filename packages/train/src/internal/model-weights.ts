import type { TrainableModel } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

// core's TrainableModel.getWeights() does not say who owns the result: @iwlab/models returns
// copies the caller disposes, a model on raw variables returns the variables themselves. Variables
// are never ours to free; anything else getWeights returned is.

/** Runs `use` on the model's weights, then frees whatever getWeights copied. */
export async function withWeights<T>(
  model: TrainableModel,
  use: (weights: readonly tf.Tensor[]) => T | Promise<T>,
): Promise<T> {
  const weights = model.getWeights();
  try {
    return await use(weights);
  } finally {
    for (const w of weights) if (!(w instanceof tf.Variable)) w.dispose();
  }
}

/** Owned copies of the model's weights (the caller disposes them). */
export function copyWeights(model: TrainableModel): tf.Tensor[] {
  return model.getWeights().map((w) => (w instanceof tf.Variable ? w.clone() : w));
}

/** Shapes of the model's weights, without keeping any tensor. */
export function weightShapes(model: TrainableModel): number[][] {
  const weights = model.getWeights();
  const shapes = weights.map((w) => [...w.shape]);
  for (const w of weights) if (!(w instanceof tf.Variable)) w.dispose();
  return shapes;
}
