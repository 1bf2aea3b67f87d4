// Every random number a model starts from comes from here, in build order, so one spec seed fixes
// every initializer and every dropout mask stream. tfjs random ops with a numeric seed are
// computed in JS, so the same seed gives the same weights on every backend.
import { Rng } from '@iwlab/core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { InitScheme } from '../spec.js';

type Initializer = ReturnType<typeof tfl.initializers.zeros>;

export class BuildContext {
  #next = 0;
  constructor(
    readonly seed: number,
    readonly init: InitScheme,
  ) {}

  /** A fresh 31-bit seed; the n-th call is the same for the same spec seed. */
  nextSeed(): number {
    return Rng.derive(this.seed, this.#next++).seed();
  }

  kernel(): Initializer {
    const seed = this.nextSeed();
    switch (this.init) {
      case 'glorot-uniform':
        return tfl.initializers.glorotUniform({ seed });
      case 'he-normal':
        return tfl.initializers.heNormal({ seed });
      case 'torch-default':
        // kaiming_uniform(a=√5): bound = √(6/((1+a²)·fan_in)) = √(1/fan_in) = √(3·(1/3)/fan_in).
        return tfl.initializers.varianceScaling({
          scale: 1 / 3,
          mode: 'fanIn',
          distribution: 'uniform',
          seed,
        });
    }
  }

  /** PyTorch draws biases from U(±1/√fan_in); Keras starts them at zero. */
  bias(fanIn: number): Initializer {
    if (this.init !== 'torch-default') return tfl.initializers.zeros();
    const bound = 1 / Math.sqrt(fanIn);
    return tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.nextSeed() });
  }

  embedding(): Initializer {
    const seed = this.nextSeed();
    // Keras starts embeddings at U(±0.05), PyTorch at N(0, 1).
    return this.init === 'torch-default'
      ? tfl.initializers.randomNormal({ mean: 0, stddev: 1, seed })
      : tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed });
  }
}
