// The bench's training loop: plain SGD steps (@iwlab/train's optimizer, as its trainer applies
// it) on random 32x32x3 batches, one read-back at the end (as iwlab's trainer reads back once per
// epoch). The loss is the mean of @iwlab/losses' cross-entropy, as the PyTorch peer's is
// nn.CrossEntropyLoss.
import { createLoss } from '@iwlab/losses';
import { createOptimizer } from '@iwlab/train';
import * as tf from '@tensorflow/tfjs-core';
import { buildNet, type NetName } from './nets.js';

/**
 * 'iwlab': @iwlab/losses' cross-entropy (one kernel where @iwlab/backend registered it);
 * 'tfjs': tf.losses.softmaxCrossEntropy on one-hot labels (26 kernels forward and 15 backward in a
 *   small-CNN step, Identity clones included).
 */
export type BenchLoss = 'iwlab' | 'tfjs';

/** The peer's learning rate too. */
const LEARNING_RATE = 0.01;

export interface LoopResult {
  net: NetName;
  parameters: number;
  batch: number;
  steps: number;
  seconds: number;
  examplesPerSecond: number;
  /** Examples per second of this process's CPU time: robust to other load on the machine. */
  examplesPerCpuSecond: number;
  finalLoss: number;
}

export interface LoopOptions {
  /** Timed steps; ignored when `seconds` is set. */
  readonly steps: number;
  /**
   * Run timed steps until this many seconds have passed instead (sweeps: every process's timed
   * window must cover the same wall-clock interval). Only meaningful on synchronous (CPU) backends.
   */
  readonly seconds?: number;
  /** Called after warm-up; the timed loop starts when it resolves (sweeps start all at once). */
  readonly ready?: () => Promise<void>;
  readonly warmup?: number;
  readonly seed?: number;
}

/** One bench training setup: the net, a few fixed batches and plain SGD, stepped by `step(i)`. */
export interface TrainingSetup {
  readonly parameterCount: number;
  /** One SGD step on batch `i mod 4`; returns the loss (the caller disposes it). */
  step(i: number): tf.Scalar;
  dispose(): void;
}

export function prepareTraining(
  net: NetName,
  batch: number,
  seed = 1,
  loss: BenchLoss = 'iwlab',
): TrainingSetup {
  const model = buildNet(net, seed);
  // A few distinct batches, made once: data generation is not what is measured.
  const pool = Array.from({ length: 4 }, (_, i) =>
    tf.tidy(() => {
      const labels = tf.randomUniform([batch], 0, 2, 'int32', seed + 100 + i) as tf.Tensor1D;
      return {
        x: tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', seed + i) as tf.Tensor4D,
        y: loss === 'tfjs' ? tf.oneHot(labels, 2) : labels,
      };
    }),
  );
  const ce = createLoss('ce', undefined, { numClasses: 2 });
  const lossOf = (logits: tf.Tensor2D, y: tf.Tensor, step: number): tf.Scalar =>
    loss === 'tfjs'
      ? (tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar)
      : tf.mean(ce.perExample(logits, y as tf.Tensor1D, { numClasses: 2, epoch: 0, step }));
  // Plain SGD, as the peer's torch.optim.SGD: @iwlab/train's optimizer, as its trainer steps.
  const optimizer = createOptimizer({ kind: 'sgd', lr: LEARNING_RATE });
  const lr = tf.scalar(LEARNING_RATE);
  return {
    parameterCount: model.parameterCount,
    step: (i) => {
      const data = pool[i % pool.length] as (typeof pool)[number];
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => lossOf(model.logits(data.x), data.y, i),
          model.variables,
        );
        optimizer.apply(
          model.variables,
          model.variables.map((v) => grads[v.name] as tf.Tensor),
          lr,
        );
        return value;
      });
    },
    dispose: () => {
      optimizer.dispose();
      tf.dispose([lr, ...model.variables, ...pool.flatMap((b) => [b.x, b.y])]);
    },
  };
}

/**
 * Untimed steps. Reads back every 50 steps and at the end, as a training loop reads once per epoch:
 * reading after every step would keep the GPU idle between steps and warm up another pattern.
 */
export async function warmUp(step: (i: number) => tf.Scalar, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    const loss = step(i);
    if (i % 50 === 49 || i === steps - 1) await loss.data();
    loss.dispose();
  }
}

export async function timeTraining(
  net: NetName,
  batch: number,
  options: LoopOptions,
): Promise<LoopResult> {
  const { warmup = 3, seed = 1 } = options;
  const { step, parameterCount, dispose } = prepareTraining(net, batch, seed);
  await warmUp(step, warmup);
  await options.ready?.();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const until = options.seconds === undefined ? null : start + options.seconds * 1000;
  let last: tf.Scalar | null = null;
  let steps = 0;
  while (until === null ? steps < options.steps : performance.now() < until) {
    last?.dispose();
    last = step(steps);
    steps++;
  }
  const finalLoss = last === null ? Number.NaN : ((await last.data())[0] as number);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  last?.dispose();
  dispose();
  return {
    net,
    parameters: parameterCount,
    batch,
    steps,
    seconds,
    examplesPerSecond: (batch * steps) / seconds,
    examplesPerCpuSecond: (batch * steps) / cpuSeconds,
    finalLoss,
  };
}
