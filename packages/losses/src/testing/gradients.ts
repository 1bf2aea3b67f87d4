// tfjs-core registers no gradients by itself, and its own `register_all_gradients` module cannot
// be loaded by plain Node (extensionless ESM imports). tfjs-layers' Node bundle registers them
// all when loaded, so the kit loads it, on demand, only when nothing else has (the same carrier
// @iwlab/backend's ensureGradients uses; the kit does not depend on the backend package for it).

import * as tf from '@tensorflow/tfjs-core';

export async function ensureGradients(): Promise<void> {
  if (tf.getGradient('Sum') !== undefined) return;
  try {
    await import('@tensorflow/tfjs-layers');
  } catch (error) {
    throw new Error(
      'the conformance kit needs tfjs gradients: install @tensorflow/tfjs-layers (an optional peer ' +
        "of @iwlab/losses), or register them first (e.g. @iwlab/backend's ensureGradients())",
      { cause: error },
    );
  }
}
