// The first weighted layer of a network, the one that reads the data (through weightless layers
// at most: flatten, dropout). tfjs-layers' Conv2D and Dense run tfjs's fused convolution and
// matmul, whose gradients (customGrads) always compute the gradient with respect to the layer's
// input as well: on the data, work whose result nobody reads (the small CNN's conv1 at batch 16 on
// wasm: a Conv2DBackpropInput of ~0.9 of a profiled ~14 ms training step; logistic regression on
// 2-D data: 28 kernels per step instead of 21). Here the convolution or matmul and the bias are
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

/** What both layers take: initializers (no bias initializer: no bias) and a name. */
interface DataLayerArgs {
  kernelInitializer: Initializer;
  /** Absent: no bias. */
  biasInitializer?: Initializer;
  name: string;
}

/**
 * A kernel and an optional bias, built as tfjs-layers builds them (kernel first, then bias), and
 * the bias added as an op of its own.
 */
abstract class DataLayer extends tfl.layers.Layer {
  readonly #kernelInitializer: Initializer;
  readonly #biasInitializer: Initializer | undefined;
  #kernel: tfl.LayerVariable | null = null;
  #bias: tfl.LayerVariable | null = null;

  constructor(args: DataLayerArgs) {
    super({ name: args.name });
    this.#kernelInitializer = args.kernelInitializer;
    this.#biasInitializer = args.biasInitializer;
  }

  /** The kernel's shape for an input whose last dimension is `channels`. */
  protected abstract kernelShape(channels: number): number[];
  /** The outputs per position: the bias's length. */
  protected abstract readonly outputs: number;

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = firstShape(inputShape);
    const channels = s[s.length - 1];
    if (typeof channels !== 'number') {
      throw new Error(`${this.name}: the input needs a static last dimension`);
    }
    const init = this.#kernelInitializer;
    this.#kernel = this.addWeight('kernel', this.kernelShape(channels), 'float32', init);
    if (this.#biasInitializer !== undefined) {
      this.#bias = this.addWeight('bias', [this.outputs], 'float32', this.#biasInitializer);
    }
    this.built = true;
  }

  /** The kernel's current value (inside the caller's tidy). */
  protected kernel(): tf.Tensor {
    const kernel = this.#kernel?.read();
    if (kernel === undefined) throw new Error(`${this.name} called before it was built`);
    return kernel;
  }

  protected withBias(y: tf.Tensor): tf.Tensor {
    return this.#bias === null ? y : tf.add(y, this.#bias.read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), useBias: this.#biasInitializer !== undefined };
  }
}

export interface InputConv2DArgs extends DataLayerArgs {
  filters: number;
  kernelSize: number;
  strides: number;
  padding: 'same' | 'valid';
}

export class InputConv2D extends DataLayer {
  static readonly className = 'IwlabInputConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'same' | 'valid';

  constructor(args: InputConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides;
    this.padding = args.padding;
  }

  protected get outputs(): number {
    return this.filters;
  }

  protected kernelShape(channels: number): number[] {
    return [this.kernelSize, this.kernelSize, channels, this.filters];
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
      const x = firstTensor(inputs) as tf.Tensor4D;
      return this.withBias(tf.conv2d(x, this.kernel() as tf.Tensor4D, this.strides, this.padding));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { filters, kernelSize, strides, padding } = this;
    return { ...super.getConfig(), filters, kernelSize, strides, padding };
  }

  override getClassName(): string {
    return InputConv2D.className;
  }
}

export interface InputDenseArgs extends DataLayerArgs {
  units: number;
}

export class InputDense extends DataLayer {
  static readonly className = 'IwlabInputDense';
  readonly units: number;

  constructor(args: InputDenseArgs) {
    super(args);
    this.units = args.units;
  }

  protected get outputs(): number {
    return this.units;
  }

  protected kernelShape(features: number): number[] {
    return [features, this.units];
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [...firstShape(inputShape).slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const kernel = this.kernel() as tf.Tensor2D;
      const x = firstTensor(inputs);
      if (x.rank === 2) return this.withBias(tf.matMul(x as tf.Tensor2D, kernel));
      // Dense applies to the last axis of any rank, as tfjs-layers' does.
      const rows = tf.reshape(x, [-1, kernel.shape[0]]) as tf.Tensor2D;
      const out = this.withBias(tf.matMul(rows, kernel));
      return tf.reshape(out, [...x.shape.slice(0, -1), this.units]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }

  override getClassName(): string {
    return InputDense.className;
  }
}
