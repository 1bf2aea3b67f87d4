// Pools token embeddings over the real tokens only: id 0 is padding and must not dilute a mean
// (or win a max) for short messages, which dominate SMS spam.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export class MaskedPooling extends tfl.layers.Layer {
  static readonly className = 'IwlabMaskedPooling';
  readonly mode: 'mean' | 'max';

  constructor(args: { mode: 'mean' | 'max'; name: string }) {
    super({ name: args.name });
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const embedded = (inputShape as tfl.Shape[])[1] as tfl.Shape;
    return [embedded[0] ?? null, embedded[2] ?? null];
  }

  /** inputs: [token ids [B, L], embeddings [B, L, D]]. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2) {
        throw new Error('MaskedPooling expects [ids, embeddings]');
      }
      const [ids, embedded] = inputs as [tf.Tensor2D, tf.Tensor3D];
      const mask = tf.expandDims(tf.cast(tf.notEqual(ids, 0), 'float32'), 2); // [B, L, 1]
      const count = tf.sum(mask, 1); // [B, 1]
      if (this.mode === 'mean') {
        // An all-padding row pools to zeros rather than 0/0.
        return tf.div(tf.sum(tf.mul(embedded, mask), 1), tf.maximum(count, 1));
      }
      const shifted = tf.add(embedded, tf.mul(tf.sub(mask, 1), 1e9));
      return tf.mul(tf.max(shifted, 1), tf.minimum(count, 1));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }

  override getClassName(): string {
    return MaskedPooling.className;
  }
}
