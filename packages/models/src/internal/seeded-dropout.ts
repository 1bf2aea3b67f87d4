// tfjs-layers' Dropout passes its fixed seed to every call, so a seeded Dropout draws the *same*
// mask at every step. This one mixes its seed with a model-wide step counter: reproducible from
// (seed, step), and a new mask every training step.
import { mixSeed } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Shared by all dropout layers of one model; the model advances it once per training apply(). */
export interface DropoutClock {
  step: number;
}

export interface SeededDropoutArgs {
  rate: number;
  seed: number;
  clock: DropoutClock;
  name: string;
}

export class SeededDropout extends tfl.layers.Layer {
  static readonly className = 'IwlabSeededDropout';
  readonly rate: number;
  readonly seed: number;
  readonly #clock: DropoutClock;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
    this.#clock = args.clock;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x === undefined) throw new Error('SeededDropout got no input');
    if (kwargs['training'] !== true || this.rate === 0) return x;
    const maskSeed = mixSeed(this.seed, this.#clock.step) & 0x7fff_ffff;
    return tf.dropout(x, this.rate, undefined, maskSeed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }

  override getClassName(): string {
    return SeededDropout.className;
  }
}
