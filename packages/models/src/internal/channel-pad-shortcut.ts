// He et al.'s option-A shortcut for CIFAR ResNets: when a block halves the resolution and widens
// the channels, the identity path subsamples by 2 and appends zero channels. It has no
// parameters, which is what keeps ResNet-20 at ~0.27M.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface ChannelPadShortcutArgs {
  stride: number;
  outChannels: number;
  name: string;
}

export class ChannelPadShortcut extends tfl.layers.Layer {
  static readonly className = 'IwlabChannelPadShortcut';
  readonly stride: number;
  readonly outChannels: number;

  constructor(args: ChannelPadShortcutArgs) {
    super({ name: args.name });
    this.stride = args.stride;
    this.outChannels = args.outChannels;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const sub = (d: number | null | undefined) => (d == null ? null : Math.ceil(d / this.stride));
    return [s[0] ?? null, sub(s[1]), sub(s[2]), this.outChannels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      // A 1x1 average pool with stride s is exactly x[:, ::s, ::s, :], and its gradient kernel
      // exists on every backend (strided slice's does not).
      const sub = this.stride === 1 ? x : tf.avgPool(x, 1, this.stride, 'valid');
      const extra = this.outChannels - (x.shape[3] ?? 0);
      return extra > 0
        ? tf.pad(sub, [
            [0, 0],
            [0, 0],
            [0, 0],
            [0, extra],
          ])
        : sub;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stride: this.stride, outChannels: this.outChannels };
  }

  override getClassName(): string {
    return ChannelPadShortcut.className;
  }
}
