// The first weighted layer of a network, the one that reads the data (through weightless layers
// at most: flatten, dropout). tfjs-layers' Conv2D and Dense run tfjs's fused convolution and
// matmul, whose gradients (customGrads) always compute the gradient with respect to the layer's
// input as well: on the data, work whose result nobody reads (the small CNN's conv1 at batch 16 on
// wasm: a Conv2DBackpropInput of ~0.9 of ~13 ms per training step; logistic regression on 2-D
// data: 28 kernels per step instead of 23). Here the convolution or matmul and the bias are
// separate ops; tfjs runs their registered gradients only for what is being differentiated, so
// the data's gradient is computed when asked for (tf.grad with respect to the input) and not
// otherwise. The weights are built as Conv2D and Dense build them: same names, shapes and
// initializer order, so the same seed gives the same values.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Initializer = ReturnType<typeof tfl.initializers.zeros>;

const firstShape = (shape: tfl.Shape | tfl.Shape[]) =>
  (Array.isArray(shape[0]) ? shape[0] : shape) as tfl.Shape;
const firstTensor = (inputs: tf.Tensor | tf.Tensor[]) =>
  (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;

/** True when `x` depends on the model's input through weightless layers only. */
export function readsDataOnly(x: tfl.SymbolicTensor): boolean {
  const layer = x.sourceLayer;
  if (layer.getClassName() === 'InputLayer') return true;
  return layer.weights.length === 0 && x.inputs.length > 0 && x.inputs.every(readsDataOnly);
}

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
    const s = firstShape(inputShape);
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
    const s = firstShape(inputShape);
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
      const y = tf.conv2d(firstTensor(inputs) as tf.Tensor4D, kernel, this.strides, this.padding);
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

export interface InputDenseArgs {
  units: number;
  kernelInitializer: Initializer;
  /** Absent: no bias. */
  biasInitializer?: Initializer;
  name: string;
}

export class InputDense extends tfl.layers.Layer {
  static readonly className = 'IwlabInputDense';
  readonly units: number;
  readonly #kernelInitializer: Initializer;
  readonly #biasInitializer: Initializer | undefined;
  #kernel: tfl.LayerVariable | null = null;
  #bias: tfl.LayerVariable | null = null;

  constructor(args: InputDenseArgs) {
    super({ name: args.name });
    this.units = args.units;
    this.#kernelInitializer = args.kernelInitializer;
    this.#biasInitializer = args.biasInitializer;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = firstShape(inputShape);
    const features = s[s.length - 1];
    if (typeof features !== 'number') {
      throw new Error(`${this.name}: the input needs a static last dimension`);
    }
    this.#kernel = this.addWeight(
      'kernel',
      [features, this.units],
      'float32',
      this.#kernelInitializer,
    );
    if (this.#biasInitializer !== undefined) {
      this.#bias = this.addWeight('bias', [this.units], 'float32', this.#biasInitializer);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [...firstShape(inputShape).slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const kernel = this.#kernel?.read() as tf.Tensor2D | undefined;
      if (kernel === undefined) throw new Error(`${this.name} called before it was built`);
      const x = firstTensor(inputs);
      // Dense applies to the last axis of any rank, as tfjs-layers' does.
      const rows = tf.reshape(x, [-1, kernel.shape[0]]) as tf.Tensor2D;
      const y = tf.matMul(rows, kernel);
      const out = this.#bias === null ? y : tf.add(y, this.#bias.read());
      return x.rank === 2 ? out : tf.reshape(out, [...x.shape.slice(0, -1), this.units]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      useBias: this.#biasInitializer !== undefined,
    };
  }

  override getClassName(): string {
    return InputDense.className;
  }
}
