import * as tf from '@tensorflow/tfjs-core';

/**
 * Makes sure tfjs's gradient definitions are registered, so `tf.grads`, `tf.variableGrads` and
 * `optimizer.minimize` work. tfjs-core registers none by itself: the union package and
 * tfjs-layers do when loaded, and tfjs-core's own `register_all_gradients` module cannot be
 * loaded by Node (extensionless ESM imports). tfjs-layers' Node bundle is the loadable carrier.
 * Returns whether it had to load them.
 */
export async function ensureGradients(): Promise<boolean> {
  if (tf.getGradient('Sum') !== undefined) return false;
  await import('@tensorflow/tfjs-layers');
  return true;
}
