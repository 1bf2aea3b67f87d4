// The two reference CNNs of the bench, in raw tfjs ops (the bench measures the backend and the
// training loop, not a model library). Their PyTorch twins are in peers/torch_bench.py.
// `zoo-small` and `zoo-bl` are the same two architectures as @iwlab/models builds them
// (tfjs-layers, what `iwlab reproduce` trains), to see whether the bench's figures carry over.
import { Rng } from '@iwlab/core';
import { createModel } from '@iwlab/models';
import * as tf from '@tensorflow/tfjs-core';

type RawNetName = 'small' | 'bl';
export type NetName = RawNetName | 'zoo-small' | 'zoo-bl';
/** What the bench runs unless told. */
export const NET_NAMES: readonly NetName[] = ['small', 'bl'];
export const ALL_NET_NAMES: readonly NetName[] = ['small', 'bl', 'zoo-small', 'zoo-bl'];

/** Checks a comma-separated list of net names (`flag` names the option in the error). */
export function parseNetNames(list: string, flag: string): NetName[] {
  const nets = list.split(',').map((n) => n.trim());
  for (const net of nets) {
    if (!(ALL_NET_NAMES as readonly string[]).includes(net)) {
      throw new Error(`${flag}: unknown net "${net}"; use ${ALL_NET_NAMES.join(', ')}`);
    }
  }
  return nets as NetName[];
}

/** Checks one net name (`flag` names the option in the error). */
export function parseNetName(name: string, flag: string): NetName {
  const nets = parseNetNames(name, flag);
  if (nets.length !== 1) throw new Error(`${flag}: name one net, got "${name}"`);
  return nets[0] as NetName;
}

/** The PyTorch peer's net of the same architecture. */
export function peerNet(name: NetName): RawNetName {
  return name === 'zoo-small' ? 'small' : name === 'zoo-bl' ? 'bl' : name;
}

type Layer =
  | { kind: 'conv'; filters: number; pad: 'same' | 'valid' }
  | { kind: 'pool' }
  | { kind: 'dense'; units: number; relu: boolean };

/** small: conv32-pool-conv64-pool-fc128-fc2 ('same'); bl: Byrd & Lipton's CNN ('valid', ~1.52M params). */
const LAYERS: Record<RawNetName, readonly Layer[]> = {
  small: [
    { kind: 'conv', filters: 32, pad: 'same' },
    { kind: 'pool' },
    { kind: 'conv', filters: 64, pad: 'same' },
    { kind: 'pool' },
    { kind: 'dense', units: 128, relu: true },
    { kind: 'dense', units: 2, relu: false },
  ],
  bl: [
    { kind: 'conv', filters: 64, pad: 'valid' },
    { kind: 'conv', filters: 64, pad: 'valid' },
    { kind: 'pool' },
    { kind: 'conv', filters: 128, pad: 'valid' },
    { kind: 'conv', filters: 128, pad: 'valid' },
    { kind: 'conv', filters: 128, pad: 'valid' },
    { kind: 'pool' },
    { kind: 'dense', units: 512, relu: true },
    { kind: 'dense', units: 128, relu: true },
    { kind: 'dense', units: 2, relu: false },
  ],
};

export interface BenchNet {
  readonly variables: tf.Variable[];
  readonly parameterCount: number;
  logits(x: tf.Tensor4D): tf.Tensor2D;
}

/** Glorot-uniform weights and zero biases from `seed`. */
export function buildNet(name: NetName, seed: number, inputShape = [32, 32, 3]): BenchNet {
  if (name === 'zoo-small' || name === 'zoo-bl') return buildZooNet(name, seed, inputShape);
  const rng = Rng.fromSeed(seed);
  const glorot = (shape: number[], fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: n }, () => (rng.float() * 2 - 1) * limit);
    return tf.variable(tf.tensor(values, shape));
  };
  let [h, w, c] = inputShape as [number, number, number];
  const steps: ((x: tf.Tensor) => tf.Tensor)[] = [];
  const variables: tf.Variable[] = [];
  let flat = false;
  for (const layer of LAYERS[name]) {
    if (layer.kind === 'conv') {
      const filter = glorot([3, 3, c, layer.filters], 9 * c, 9 * layer.filters);
      const bias = tf.variable(tf.zeros([layer.filters]));
      variables.push(filter, bias);
      const pad = layer.pad;
      steps.push((x) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: filter as tf.Tensor4D,
          strides: 1,
          pad,
          bias,
          activation: 'relu',
        }),
      );
      if (pad === 'valid') {
        h -= 2;
        w -= 2;
      }
      c = layer.filters;
    } else if (layer.kind === 'pool') {
      steps.push((x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'));
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    } else {
      const inputs = flat ? c : h * w * c;
      if (!flat) {
        steps.push((x) => tf.reshape(x, [x.shape[0] as number, inputs]));
        flat = true;
      }
      const kernel = glorot([inputs, layer.units], inputs, layer.units);
      const bias = tf.variable(tf.zeros([layer.units]));
      variables.push(kernel, bias);
      const activation = layer.relu ? 'relu' : 'linear';
      steps.push((x) =>
        tf.fused.matMul({ a: x as tf.Tensor2D, b: kernel as tf.Tensor2D, bias, activation }),
      );
      c = layer.units;
    }
  }
  return {
    variables,
    parameterCount: variables.reduce((sum, v) => sum + v.size, 0),
    logits: (x) => steps.reduce<tf.Tensor>((t, step) => step(t), x) as tf.Tensor2D,
  };
}

function buildZooNet(name: 'zoo-small' | 'zoo-bl', seed: number, inputShape: number[]): BenchNet {
  const model = createModel({
    kind: name === 'zoo-small' ? 'small-cnn' : 'bl-cnn',
    inputShape,
    numClasses: 2,
    seed,
  });
  const variables = [...model.trainableVariables] as tf.Variable[];
  return {
    variables,
    parameterCount: variables.reduce((sum, v) => sum + v.size, 0),
    // Training mode, as the trainer calls it (no dropout or batch norm in these two by default).
    logits: (x) => model.apply(x, true),
  };
}
