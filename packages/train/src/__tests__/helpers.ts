// Test fixtures: a tiny MLP / logistic regression on raw tf.variables, an in-memory seeded batch
// stream, plain cross-entropy and an accuracy metric. Kept here so these tests need no other
// iwlab package than core and losses.
import type {
  Batch,
  BatchStream,
  Metric,
  ModelSpec,
  TrainableModel,
  WeightedLoss,
} from '@iwlab/core';
import { Rng } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';

export interface MlpOptions {
  readonly inputDim: number;
  readonly numClasses: number;
  /** 0 gives logistic regression. */
  readonly hidden?: number;
  readonly seed: number;
  readonly l2?: number;
  /** Start every weight at zero (for hand-computed updates). */
  readonly zeroInit?: boolean;
}

export function mlp(options: MlpOptions): TrainableModel {
  const { inputDim, numClasses, seed } = options;
  const hidden = options.hidden ?? 0;
  const rng = Rng.fromSeed(seed);
  const init = (shape: number[]) =>
    tf.tidy(() =>
      tf.variable(
        options.zeroInit ? tf.zeros(shape) : tf.randomNormal(shape, 0, 0.5, 'float32', rng.seed()),
      ),
    );
  const layers: { w: tf.Variable; b: tf.Variable }[] = [];
  const dims = hidden > 0 ? [inputDim, hidden, numClasses] : [inputDim, numClasses];
  for (let i = 0; i + 1 < dims.length; i++) {
    layers.push({
      w: init([dims[i] as number, dims[i + 1] as number]),
      b: init([dims[i + 1] as number]),
    });
  }
  const variables = layers.flatMap((l) => [l.w, l.b]);
  const spec: ModelSpec = {
    kind: hidden > 0 ? 'mlp' : 'logreg',
    inputShape: [inputDim],
    numClasses,
    seed,
    ...(options.l2 !== undefined ? { l2: options.l2 } : {}),
  };
  return {
    spec,
    trainableVariables: variables,
    apply(x: tf.Tensor): tf.Tensor2D {
      return tf.tidy(() => {
        let h = x as tf.Tensor2D;
        layers.forEach((layer, i) => {
          h = tf.add(tf.matMul(h, layer.w), layer.b);
          if (i + 1 < layers.length) h = tf.relu(h);
        });
        return h;
      });
    },
    regularizationLoss() {
      const l2 = options.l2;
      if (!l2) return null;
      return tf.tidy(
        () => tf.mul(tf.addN(layers.map((l) => tf.sum(tf.square(l.w)))), l2) as tf.Scalar,
      );
    },
    getWeights: () => variables,
    setWeights(weights) {
      weights.forEach((w, i) => {
        variables[i]?.assign(w);
      });
    },
    dispose: () => tf.dispose(variables),
  };
}

/** CE(z, y) = logsumexp(z) - z_y, unweighted, per example. */
export const crossEntropy: WeightedLoss = {
  name: 'ce',
  perExample(logits, y) {
    return tf.tidy(() =>
      tf.sub(
        tf.logSumExp(logits, 1),
        tf.sum(tf.mul(logits, tf.oneHot(y, logits.shape[1] as number)), 1),
      ),
    ) as tf.Tensor1D;
  },
};

export interface ArrayData {
  readonly x: readonly (readonly number[])[];
  readonly y: readonly number[];
  readonly w?: readonly number[];
  readonly group?: readonly number[];
}

/** An in-memory stream; epoch e is shuffled by Rng.derive(seed, e), like the real ones. */
export function arrayStream(data: ArrayData, batchSize: number, seed: number | null): BatchStream {
  const n = data.y.length;
  return {
    numExamples: n,
    batchSize,
    async *epoch(e: number): AsyncIterable<Batch> {
      const order =
        seed === null
          ? Int32Array.from({ length: n }, (_, i) => i)
          : Rng.derive(seed, e).permutation(n);
      for (let start = 0; start < n; start += batchSize) {
        const idx = Array.from(order.subarray(start, start + batchSize));
        yield {
          x: tf.tensor2d(idx.map((i) => [...(data.x[i] as number[])])),
          y: tf.tensor1d(
            idx.map((i) => data.y[i] as number),
            'int32',
          ),
          w: tf.tensor1d(
            idx.map((i) => data.w?.[i] ?? 1),
            'float32',
          ),
          ...(data.group
            ? {
                group: tf.tensor1d(
                  idx.map((i) => data.group?.[i] as number),
                  'int32',
                ),
              }
            : {}),
        };
      }
    },
  };
}

/** Two Gaussian blobs in 2-D, class 0 around (-1, -1) and class 1 around (1, 1). */
export function blobs(n: number, seed: number, spread = 0.5): ArrayData {
  const rng = Rng.fromSeed(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const c = label === 1 ? 1 : -1;
    x.push([c + rng.normal(0, spread), c + rng.normal(0, spread)]);
    y.push(label);
  }
  return { x, y };
}

type AccuracyState = {
  readonly correct: tf.Scalar;
  readonly count: tf.Scalar;
};

/** Plain accuracy plus the fraction predicted as class 1 (B&L's headline metric). */
export const accuracy: Metric<AccuracyState> = {
  name: 'accuracy',
  init: () => ({ correct: tf.scalar(0), count: tf.scalar(0) }),
  // Frees the old state and its own intermediates, as @iwlab/metrics' evaluate requires.
  update(state, logits, batch) {
    const next = tf.tidy(() => {
      const predicted = tf.argMax(logits, 1);
      return {
        correct: tf.add(state.correct, tf.sum(tf.cast(tf.equal(predicted, batch.y), 'float32'))),
        count: tf.add(state.count, batch.y.shape[0] as number),
      } as AccuracyState;
    });
    tf.dispose([state.correct, state.count]);
    return next;
  },
  async result(state) {
    const [correct] = await state.correct.data();
    const [count] = await state.count.data();
    return { accuracy: (correct as number) / (count as number) };
  },
  dispose: (state) => tf.dispose([state.correct, state.count]),
};

interface LossState {
  readonly sum: tf.Scalar;
  readonly count: number;
}

/** Mean unweighted cross-entropy over a set. */
export const meanLoss: Metric<LossState> = {
  name: 'ce',
  init: () => ({ sum: tf.scalar(0), count: 0 }),
  update(state, logits, batch) {
    const sum = tf.tidy(() =>
      tf.add(
        state.sum,
        tf.sum(crossEntropy.perExample(logits, batch.y, { numClasses: 2, epoch: 0, step: 0 })),
      ),
    ) as tf.Scalar;
    state.sum.dispose();
    return { sum, count: state.count + (batch.y.shape[0] as number) };
  },
  async result(state) {
    return { loss: ((await state.sum.data())[0] as number) / state.count };
  },
  dispose: (state) => state.sum.dispose(),
};

/**
 * The run the process-kill test trains both in a child process and in the test itself: the
 * same options must give the same numbers wherever they run.
 */
export function killableRunOptions(dir: string) {
  return {
    model: mlp({ inputDim: 2, numClasses: 2, hidden: 8, seed: 3 }),
    loss: crossEntropy,
    reduction: 'normalized' as const,
    data: arrayStream(
      { ...blobs(48, 5), w: Array.from({ length: 48 }, (_, i) => 1 + (i % 3)) },
      8,
      11,
    ),
    optimizer: { kind: 'adam' as const, lr: 0.05, weightDecay: 1e-3, decoupledWeightDecay: true },
    epochs: 6,
    seed: 7,
    trainMetrics: [accuracy],
    checkpoint: { dir, every: 1 },
  };
}
