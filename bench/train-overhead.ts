// The training loop's overhead: @iwlab/train's `train` against a bare `optimizer.minimize` loop,
// same model (the zoo's small CNN: conv32-pool-conv64-pool-fc128-fc2, 'same' padding), same
// batches (32x32x3 random data, random labels and weights), same SGD rate, same backend.
//
//   cd bench && npx tsx train-overhead.ts [--backend wasm] [--batch 64] [--steps 16] [--rounds 3]
//
// Each round times one epoch of each loop, alternating which goes first, after a warm-up epoch
// of each; the overhead is (train - bare) / bare on the per-loop minimum and median epoch times.
// Both wall-clock and process CPU time are reported: wasm runs on one thread in Node, so on a
// machine shared with other work the CPU time is the steadier measure of the work each loop does.
import { parseArgs } from 'node:util';
import { initBackend } from '@iwlab/backend';
import type { BackendChoice, Batch, BatchStream, TrainableModel, WeightedLoss } from '@iwlab/core';
import { Rng } from '@iwlab/core';
import { createModel } from '@iwlab/models';
import { train } from '@iwlab/train';
import * as tf from '@tensorflow/tfjs-core';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    lr: { type: 'string', default: '0.01' },
  },
});
const batchSize = Number(values.batch);
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const lr = Number(values.lr);

const info = await initBackend(values.backend as BackendChoice);

// Host-side data, turned into tensors per batch exactly as a real stream would: both loops pay
// the same upload cost, so it cancels out of the difference.
const n = batchSize * steps;
const rng = Rng.fromSeed(1);
const xs = Float32Array.from({ length: n * 32 * 32 * 3 }, () => rng.float());
const ys = Int32Array.from({ length: n }, () => rng.int(0, 1));
const ws = Float32Array.from({ length: n }, (_, i) => ((ys[i] as number) === 1 ? 4 : 1));
const stream: BatchStream = {
  numExamples: n,
  batchSize,
  async *epoch(): AsyncIterable<Batch> {
    for (let s = 0; s < steps; s++) {
      const from = s * batchSize;
      const to = from + batchSize;
      yield {
        x: tf.tensor4d(xs.subarray(from * 3072, to * 3072), [batchSize, 32, 32, 3]),
        y: tf.tensor1d(ys.subarray(from, to), 'int32'),
        w: tf.tensor1d(ws.subarray(from, to), 'float32'),
      };
    }
  },
};

const crossEntropy: WeightedLoss = {
  name: 'ce',
  perExample: (logits, y) =>
    tf.tidy(() =>
      tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, tf.oneHot(y, 2)), 1)),
    ) as tf.Tensor1D,
};

const model: TrainableModel = createModel({
  kind: 'small-cnn',
  inputShape: [32, 32, 3],
  numClasses: 2,
  seed: 1,
});

/** The baseline: what a hand-written tfjs loop does, with the same weighted 'mean' objective. */
async function bareEpoch(): Promise<void> {
  const optimizer = tf.train.sgd(lr);
  const variables = model.trainableVariables as tf.Variable[];
  let last: tf.Scalar | null = null;
  for await (const batch of stream.epoch(0)) {
    last?.dispose();
    last = optimizer.minimize(
      () => {
        const perExample = crossEntropy.perExample(model.apply(batch.x, true), batch.y, {
          numClasses: 2,
          epoch: 0,
          step: 0,
        });
        return tf.div(tf.sum(tf.mul(perExample, batch.w)), batchSize) as tf.Scalar;
      },
      true,
      variables,
    );
    tf.dispose([batch.x, batch.y, batch.w]);
  }
  // One read-back per epoch, as the trainer does.
  await last?.data();
  last?.dispose();
  optimizer.dispose();
}

async function trainEpoch(): Promise<void> {
  const result = await train({
    model,
    loss: crossEntropy,
    reduction: 'mean',
    data: stream,
    optimizer: { kind: 'sgd', lr },
    epochs: 1,
    seed: 1,
  });
  if (result.status !== 'done') throw new Error(`train ended with status ${result.status}`);
}

interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

async function timed(run: () => Promise<void>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

await bareEpoch();
await trainEpoch();
const bare: Timing[] = [];
const loop: Timing[] = [];
const tensorsBefore = tf.memory().numTensors;
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    bare.push(await timed(bareEpoch));
    loop.push(await timed(trainEpoch));
  } else {
    loop.push(await timed(trainEpoch));
    bare.push(await timed(bareEpoch));
  }
}
const pct = (a: number, b: number) => Number((((a - b) / b) * 100).toFixed(2));
const summary = (key: keyof Timing) => {
  const b = bare.map((t) => t[key]);
  const l = loop.map((t) => t[key]);
  return {
    bareSeconds: b.map((s) => Number(s.toFixed(3))),
    trainSeconds: l.map((s) => Number(s.toFixed(3))),
    examplesPerSecondBare: Math.round(n / Math.min(...b)),
    examplesPerSecondTrain: Math.round(n / Math.min(...l)),
    overheadPercentMin: pct(Math.min(...l), Math.min(...b)),
    overheadPercentMedian: pct(median(l), median(b)),
  };
};
console.log(
  JSON.stringify(
    {
      backend: info.name,
      net: 'small-cnn',
      batch: batchSize,
      stepsPerEpoch: steps,
      rounds,
      cpu: summary('cpu'),
      wall: summary('wall'),
      tensorsLeaked: tf.memory().numTensors - tensorsBefore,
    },
    null,
    2,
  ),
);
model.dispose();
