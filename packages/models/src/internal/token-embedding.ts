// An embedding table whose gradient is a scatter-add. tfjs differentiates `gather` through
// UnsortedSegmentSum, a kernel the wasm backend does not have, so tfjs-layers' Embedding cannot
// train there; ScatterNd (which sums duplicate ids) exists on cpu, wasm and webgpu.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Initializer = ReturnType<typeof tfl.initializers.zeros>;

export interface TokenEmbeddingArgs {
  vocabSize: number;
  dim: number;
  initializer: Initializer;
  name: string;
}

export class TokenEmbedding extends tfl.layers.Layer {
  static readonly className = 'IwlabTokenEmbedding';
  readonly vocabSize: number;
  readonly dim: number;
  readonly #initializer: Initializer;
  #table: tfl.LayerVariable | null = null;

  constructor(args: TokenEmbeddingArgs) {
    super({ name: args.name });
    this.vocabSize = args.vocabSize;
    this.dim = args.dim;
    this.#initializer = args.initializer;
  }

  override build(): void {
    this.#table = this.addWeight(
      'embeddings',
      [this.vocabSize, this.dim],
      'float32',
      this.#initializer,
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [...s, this.dim];
  }

  /** ids [B, L] (any numeric dtype; cast to int32) → [B, L, dim]. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const table = this.#table?.read();
      if (table === undefined) throw new Error(`${this.name} called before it was built`);
      const ids = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
      const flat = tf.cast(tf.reshape(ids, [-1]), 'int32');
      // The ids go through `save`: a tensor merely captured by gradFunc would be disposed with
      // this tidy before the backward pass runs.
      const lookup = tf.customGrad((t, i, save) => {
        (save as tf.GradSaveFunc)([i as tf.Tensor1D]);
        const value = tf.gather(t as tf.Tensor2D, i as tf.Tensor1D);
        const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const index = saved[0] as tf.Tensor1D;
          const dTable = tf.scatterND(tf.expandDims(index, 1), dy, [this.vocabSize, this.dim]);
          return [dTable, tf.zerosLike(index)];
        };
        return { value, gradFunc };
      });
      return tf.reshape(lookup(table, flat), [...ids.shape, this.dim]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocabSize: this.vocabSize, dim: this.dim };
  }

  override getClassName(): string {
    return TokenEmbedding.className;
  }
}
