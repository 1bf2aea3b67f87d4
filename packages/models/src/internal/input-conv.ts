// A convolution applied to the model's input. tfjs-layers' Conv2D runs tfjs's fused convolution,
// whose gradient (a customGrad) always computes the gradient with respect to the convolution's
// input as well: on the data, a Conv2DBackpropInput whose result nobody reads (the small CNN's
// conv1 at batch 16 on wasm: ~0.9 of ~13 ms per training step). Here the convolution and the bias
// are separate ops; tfjs runs their registered gradients only for what is being differentiated,
// so the data's gradient is computed when asked for (tf.grad with respect to the input) and not
// otherwise. The weights are built as Conv2D builds them: same names, shapes, initializer order.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Initializer = ReturnType<typeof tfl.initializers.zeros>;

export interface InputConv2DArgs {
  filters: number;
  kernelSize: number;
  strides: number;
  padding: 'same' | 'valid';
  kernelInitializer: Initializer;
  /** Absent: no bias. */
  biasInitializer?: Initializer;
  name: string;
}

export class InputConv2D extends tfl.layers.Layer {
  static readonly className = 'IwlabInputConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'same' | 'valid';
  readonly #kernelInitializer: Initializer;
  readonly #biasInitializer: Initializer | undefined;
  #kernel: tfl.LayerVariable | null = null;
  #bias: tfl.LayerVariable | null = null;

  constructor(args: InputConv2DArgs) {
    super({ name: args.name });
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides;
    this.padding = args.padding;
    this.#kernelInitializer = args.kernelInitializer;
    this.#biasInitializer = args.biasInitializer;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = s[s.length - 1];
    if (typeof channels !== 'number') {
      throw new Error(`${this.name}: the input needs a static channel dimension`);
    }
    const k = this.kernelSize;
    this.#kernel = this.addWeight(
      'kernel',
      [k, k, channels, this.filters],
      'float32',
      this.#kernelInitializer,
    );
    if (this.#biasInitializer !== undefined) {
      this.#bias = this.addWeight('bias', [this.filters], 'float32', this.#biasInitializer);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const out = (d: number | null | undefined) => {
      if (d == null) return null;
      const span = this.padding === 'same' ? d : d - this.kernelSize + 1;
      return Math.ceil(span / this.strides);
    };
    return [s[0] ?? null, out(s[1]), out(s[2]), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const kernel = this.#kernel?.read() as tf.Tensor4D | undefined;
      if (kernel === undefined) throw new Error(`${this.name} called before it was built`);
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const y = tf.conv2d(x, kernel, this.strides, this.padding);
      return this.#bias === null ? y : tf.add(y, this.#bias.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      useBias: this.#biasInitializer !== undefined,
    };
  }

  override getClassName(): string {
    return InputConv2D.className;
  }
}
