import '@tensorflow/tfjs-backend-cpu';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, DivergedError, type Reduction } from '@iwlab/core';
import { deferredReweighting } from '@iwlab/losses';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { accuracy, arrayStream, blobs, crossEntropy, meanLoss, mlp } from './__tests__/helpers.js';
import { readCheckpointMeta } from './checkpoint.js';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';
import { train } from './train.js';
import type { EpochRecord, TrainOptions } from './types.js';
import { deferredWeightPhases } from './weighting.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  vi.restoreAllMocks();
});

const LN2 = Math.log(2);
const tmp = () => mkdtemp(join(tmpdir(), 'iwlab-train-'));
/** History without wall-clock time, for exact comparisons. */
const metricsOf = (history: readonly EpochRecord[]) =>
  history.map(({ seconds: _seconds, ...rest }) => rest);

// Two examples, one per class, on the unit axes; with zero weights every logit is 0, so each
// example's loss is ln 2 and its logit gradient is ±0.5: every update below is hand-computable.
const axes = {
  x: [
    [1, 0],
    [0, 1],
  ],
  y: [0, 1],
  w: [1, 3],
};

describe('train: one step by hand', () => {
  it.each([
    // Σ wᵢℓᵢ = 4 ln2; gradient of W = [[-0.5, 0.5], [1.5, -1.5]], of b = [1, -1]; divided by 1, B = 2 or Σw = 4.
    ['sum', 4 * LN2, 1],
    ['mean', 2 * LN2, 2],
    ['normalized', LN2, 4],
  ] as const)('%s reduction: recorded loss and update', async (reduction, loss, divisor) => {
    const model = mlp({ inputDim: 2, numClasses: 2, seed: 1, zeroInit: true });
    const result = await train({
      model,
      loss: crossEntropy,
      reduction: reduction as Reduction,
      data: arrayStream(axes, 2, null),
      optimizer: { kind: 'sgd', lr: 0.1 },
      epochs: 1,
      seed: 1,
    });
    expect(result.status).toBe('done');
    expect(result.history[0]?.loss).toBeCloseTo(loss, 5);
    const [w, b] = model.getWeights();
    const expectedW = [0.05, -0.05, -0.15, 0.15].map((v) => v / divisor);
    expect(Array.from(await (w as tf.Tensor).data())).toEqual(
      expectedW.map((v) => expect.closeTo(v, 6)),
    );
    expect(Array.from(await (b as tf.Tensor).data())).toEqual(
      [-0.1, 0.1].map((v) => expect.closeTo(v / divisor, 6)),
    );
    model.dispose();
  });

  it('adds the model L2 penalty to the objective but not to the recorded loss', async () => {
    const model = mlp({ inputDim: 2, numClasses: 2, seed: 1, zeroInit: true, l2: 0.5 });
    model.setWeights([
      tf.tensor2d([
        [1, 0],
        [0, 0],
      ]),
      tf.zeros([2]),
    ]);
    // L2 gradient 2·0.5·W = W on W[0][0] = 1; with lr 0.1 and 'sum' the data gradient there is
    // dℓ/dW[0][0] for x=(1,0), y=0, z=(1,0): -(1 - σ(1)) = -0.268941.
    await train({
      model,
      loss: crossEntropy,
      reduction: 'sum',
      data: arrayStream({ x: [[1, 0]], y: [0] }, 1, null),
      optimizer: { kind: 'sgd', lr: 0.1 },
      epochs: 1,
      seed: 1,
    });
    const w00 = (await (model.getWeights()[0] as tf.Tensor).data())[0] as number;
    expect(w00).toBeCloseTo(1 - 0.1 * (1 - 0.268941), 5);
    model.dispose();
  });
});

describe('train: gradient clipping in the loop', () => {
  it('rescales the step to the global norm', async () => {
    // The 'sum' gradients of the hand-computed step have global norm √7 (W: ±0.5, ±1.5; b: ±1).
    const model = mlp({ inputDim: 2, numClasses: 2, seed: 1, zeroInit: true });
    await train({
      model,
      loss: crossEntropy,
      reduction: 'sum',
      data: arrayStream(axes, 2, null),
      optimizer: { kind: 'sgd', lr: 0.1 },
      gradientClip: { maxNorm: 0.1 },
      epochs: 1,
      seed: 1,
    });
    const scale = 0.1 / Math.sqrt(7);
    const [w, b] = model.getWeights();
    expect(Array.from(await (w as tf.Tensor).data())).toEqual(
      [0.5, -0.5, -1.5, 1.5].map((v) => expect.closeTo(0.1 * scale * v, 6)),
    );
    expect(Array.from(await (b as tf.Tensor).data())).toEqual(
      [-1, 1].map((v) => expect.closeTo(0.1 * scale * v, 6)),
    );
    model.dispose();
  });
});

describe('train: weighting schedule (DRW hook)', () => {
  it('uses uniform weights before epoch E and class weights from E on', async () => {
    const model = mlp({ inputDim: 2, numClasses: 2, seed: 1, zeroInit: true });
    const changes: number[] = [];
    const result = await train({
      model,
      loss: crossEntropy,
      reduction: 'sum',
      data: arrayStream(axes, 2, null),
      // lr 0 keeps every logit at 0, so the recorded loss is Σ wᵢ · ln 2.
      optimizer: { kind: 'sgd', lr: 0 },
      epochs: 4,
      seed: 1,
      weighting: [
        { fromEpoch: 0, weights: 'uniform' },
        { fromEpoch: 1, weights: 'batch' },
        { fromEpoch: 2, weights: { perClass: [2, 5] } },
        { fromEpoch: 3, weights: { perClass: [2, 5], timesBatch: true } },
      ],
      callbacks: { onWeightsChange: (e) => void changes.push(e.epoch) },
    });
    expect(result.history.map((r) => r.loss)).toEqual([
      expect.closeTo(2 * LN2, 5),
      expect.closeTo(4 * LN2, 5),
      expect.closeTo(7 * LN2, 5),
      // 2·1 + 5·3
      expect.closeTo(17 * LN2, 5),
    ]);
    expect(changes).toEqual([0, 1, 2, 3]);
    model.dispose();
  });

  it("runs @iwlab/losses' DRW schedule through deferredWeightPhases", async () => {
    const model = mlp({ inputDim: 2, numClasses: 2, seed: 1, zeroInit: true });
    const result = await train({
      model,
      loss: crossEntropy,
      reduction: 'sum',
      data: arrayStream(axes, 2, null),
      optimizer: { kind: 'sgd', lr: 0 },
      epochs: 3,
      seed: 1,
      weighting: deferredWeightPhases(deferredReweighting({ classWeights: [2, 5], startEpoch: 2 })),
    });
    // Uniform (2 examples · ln 2) until epoch 2, then 2 + 5.
    expect(result.history.map((r) => r.loss)).toEqual([
      expect.closeTo(2 * LN2, 5),
      expect.closeTo(2 * LN2, 5),
      expect.closeTo(7 * LN2, 5),
    ]);
    expect(
      deferredWeightPhases(deferredReweighting({ classWeights: [1, 3], startEpoch: 0 })),
    ).toEqual([{ fromEpoch: 0, weights: { perClass: [1, 3] } }]);
    model.dispose();
  });

  it('rejects class weights of the wrong length or sign, naming the phase', async () => {
    const model = mlp({ inputDim: 2, numClasses: 2, seed: 1 });
    const base = {
      model,
      loss: crossEntropy,
      reduction: 'sum',
      data: arrayStream(axes, 2, null),
      optimizer: { kind: 'sgd', lr: 0.1 },
      epochs: 1,
      seed: 1,
    } as const;
    await expect(
      train({ ...base, weighting: [{ fromEpoch: 0, weights: { perClass: [1, 2, 3] } }] }),
    ).rejects.toThrow(/weighting\[0\]\.weights\.perClass.*3 class weights/);
    await expect(
      train({ ...base, weighting: [{ fromEpoch: 0, weights: { perClass: [1, -2] } }] }),
    ).rejects.toThrow(/weighting\[0\]\.weights\.perClass\[1\]/);
    model.dispose();
  });
});

function blobRun(overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    model: mlp({ inputDim: 2, numClasses: 2, hidden: 8, seed: 3 }),
    loss: crossEntropy,
    reduction: 'normalized',
    data: arrayStream(blobs(48, 5), 8, 11),
    optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9 },
    epochs: 6,
    seed: 7,
    trainMetrics: [accuracy],
    evaluate: {
      sets: [
        { name: 'test', data: arrayStream(blobs(32, 6), 16, null) },
        { name: 'shifted', data: arrayStream(blobs(16, 8, 1.5), 16, null) },
      ],
      metrics: [accuracy],
    },
    ...overrides,
  };
}

describe('train: a small run', () => {
  it('learns separable blobs and evaluates every named set each epoch', async () => {
    const options = blobRun();
    const result = await train(options);
    const last = result.history.at(-1) as EpochRecord;
    expect(result.status).toBe('done');
    expect(result.history).toHaveLength(6);
    expect(last.loss).toBeLessThan((result.history[0] as EpochRecord).loss);
    expect(last.train['accuracy']).toBeGreaterThan(0.9);
    expect(last.eval?.['test']?.['accuracy']).toBeGreaterThan(0.9);
    expect(Object.keys(last.eval ?? {})).toEqual(['test', 'shifted']);
    expect(last.steps).toBe(36);
    options.model.dispose();
  });

  it('gives the same numbers for the same seed', async () => {
    const a = blobRun();
    const b = blobRun();
    const ra = await train(a);
    const rb = await train(b);
    expect(metricsOf(rb.history)).toEqual(metricsOf(ra.history));
    a.model.dispose();
    b.model.dispose();
  });

  it('evaluates every k epochs and always at the last', async () => {
    const options = blobRun({
      epochs: 5,
      evaluate: {
        sets: [{ name: 'test', data: arrayStream(blobs(8, 6), 8, null) }],
        metrics: [accuracy],
        every: 2,
      },
    });
    const result = await train(options);
    expect(result.history.map((r) => r.eval !== undefined)).toEqual([
      false,
      true,
      false,
      true,
      true,
    ]);
    options.model.dispose();
  });

  it('keeps the live tensor count identical after every epoch', async () => {
    const counts: number[] = [];
    const dir = await tmp();
    const options = blobRun({
      epochs: 5,
      gradientClip: { maxNorm: 1, maxValue: 5 },
      optimizer: { kind: 'adam', lr: { kind: 'cosine', lr: 0.05, epochs: 5 }, weightDecay: 1e-3 },
      lrUpdate: 'step',
      weighting: [{ fromEpoch: 2, weights: { perClass: [1, 4] } }],
      earlyStopping: { set: 'test', metric: 'accuracy', mode: 'max', patience: 10 },
      checkpoint: { dir, every: 2 },
      callbacks: { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
    });
    const before = tf.memory().numTensors;
    await train(options);
    expect(counts).toHaveLength(5);
    expect(counts).toEqual(counts.map(() => counts[0]));
    // Everything the loop created is gone once it returns.
    expect(tf.memory().numTensors).toBe(before);
    options.model.dispose();
  });

  it('reads back from the backend a fixed number of times per epoch, however many steps', async () => {
    async function readsPerEpoch(batchSize: number): Promise<number> {
      const backend = tf.backend();
      // Every read-back reaches readSync (the cpu backend's async read calls it too).
      const readSync = vi.spyOn(backend, 'readSync');
      const options = blobRun({
        data: arrayStream(blobs(48, 5), batchSize, 11),
        epochs: 2,
        evaluate: undefined as never,
      });
      const { evaluate: _e, ...rest } = options;
      await train(rest);
      const calls = readSync.mock.calls.length;
      readSync.mockRestore();
      options.model.dispose();
      return calls / 2;
    }
    const few = await readsPerEpoch(24); // 2 steps per epoch
    const many = await readsPerEpoch(4); // 12 steps per epoch
    expect(many).toBe(few);
    // The loss sum, the first-bad-step marker, and the accuracy metric's two scalars.
    expect(few).toBe(4);
  });
});

describe('train: divergence', () => {
  it('stops with status diverged, the epoch and the first bad step, keeping earlier epochs', async () => {
    const statuses: string[] = [];
    const options = blobRun({
      epochs: 6,
      trainMetrics: [],
      // Finite for two epochs, then an absurd rate blows the weights up.
      optimizer: { kind: 'sgd', lr: (epoch) => (epoch < 2 ? 0.05 : 1e30) },
      checkNonFiniteEvery: 1,
      callbacks: { onStatus: (e) => void statuses.push(e.status) },
    });
    const result = await train(options);
    expect(result.status).toBe('diverged');
    expect(result.history).toHaveLength(2);
    expect(result.diverged?.epoch).toBe(2);
    expect(result.diverged?.error).toBeInstanceOf(DivergedError);
    expect(result.diverged?.error.message).toMatch(/epoch 2, step \d+/);
    // Steps 0..11 are epochs 0 and 1; the step at 1e30 makes step 13's objective non-finite at
    // the latest (step 12 itself was computed with the finite weights of epoch 1).
    expect(result.diverged?.step).toBeGreaterThanOrEqual(13);
    expect(result.diverged?.step).toBeLessThanOrEqual(14);
    expect(statuses).toEqual(['running', 'diverged']);
    options.model.dispose();
  });

  it('finds the exact first bad step even when checked only once per epoch', async () => {
    const a = blobRun({
      trainMetrics: [],
      optimizer: { kind: 'sgd', lr: (e) => (e < 1 ? 0.05 : 1e30) },
      checkNonFiniteEvery: 1,
    });
    const b = blobRun({
      trainMetrics: [],
      optimizer: { kind: 'sgd', lr: (e) => (e < 1 ? 0.05 : 1e30) },
    });
    const ra = await train(a);
    const rb = await train(b);
    expect(rb.status).toBe('diverged');
    expect(rb.diverged?.step).toBe(ra.diverged?.step);
    a.model.dispose();
    b.model.dispose();
  });
});

describe('train: early stopping', () => {
  it('stops after `patience` evaluations without improvement and restores the best weights', async () => {
    const snapshots: number[][] = [];
    const options = blobRun({
      epochs: 20,
      // Descend for two epochs, then ascend (a negative rate): the held-out loss gets worse, the
      // weights keep changing, and patience 2 stops two evaluations after the best one.
      optimizer: { kind: 'sgd', lr: (e) => (e < 2 ? 0.3 : -0.3) },
      evaluate: {
        sets: [{ name: 'test', data: arrayStream(blobs(32, 6), 16, null) }],
        metrics: [meanLoss],
      },
      earlyStopping: { set: 'test', metric: 'loss', mode: 'min', patience: 2 },
      callbacks: {
        onEpochEnd: async () => {
          snapshots.push(Array.from(await (options.model.getWeights()[0] as tf.Tensor).data()));
        },
      },
    });
    const result = await train(options);
    const losses = result.history.map((r) => r.eval?.['test']?.['loss'] as number);
    const best = losses.indexOf(Math.min(...losses));
    expect(result.status).toBe('done');
    expect(result.history).toHaveLength(best + 3);
    expect(result.stoppedEarly).toEqual({ epoch: best + 2, bestEpoch: best, best: losses[best] });
    expect(result.restoredEpoch).toBe(best);
    const restored = Array.from(await (options.model.getWeights()[0] as tf.Tensor).data());
    expect(restored).toEqual(snapshots[best]);
    expect(restored).not.toEqual(snapshots.at(-1));
    options.model.dispose();
  });
});

describe('train: events', () => {
  it('emits status, epoch, evaluation and checkpoint events in order', async () => {
    const dir = await tmp();
    const log: string[] = [];
    const options = blobRun({
      epochs: 2,
      checkpoint: { dir, every: 1 },
      callbacks: [
        {
          onStatus: (e) => void log.push(`status:${e.status}`),
          onEpochStart: (e) => void log.push(`start:${e.epoch}`),
          onEvaluation: (e) => void log.push(`eval:${e.epoch}:${Object.keys(e.results).join('+')}`),
          onEpochEnd: (e) => void log.push(`end:${e.record.epoch}`),
          onCheckpoint: (e) => void log.push(`checkpoint:${e.epoch}`),
        },
        { onEpochEnd: (e) => void log.push(`second subscriber:${e.record.epoch}`) },
      ],
    });
    await train(options);
    expect(log).toEqual([
      'status:running',
      'start:0',
      'eval:0:test+shifted',
      'end:0',
      'second subscriber:0',
      'checkpoint:0',
      'start:1',
      'eval:1:test+shifted',
      'end:1',
      'second subscriber:1',
      'checkpoint:1',
      'status:done',
    ]);
    options.model.dispose();
  });

  it('lets a batch callback read the step loss on demand', async () => {
    const losses: number[] = [];
    const options = blobRun({
      epochs: 1,
      callbacks: { onBatchEnd: async (e) => void losses.push(await e.readLoss()) },
    });
    const result = await train(options);
    expect(losses).toHaveLength(6);
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    expect(result.history[0]?.loss).toBeCloseTo(mean, 5);
    options.model.dispose();
  });
});

describe('train: checkpoints and resume', () => {
  const resumable = (dir: string, overrides: Partial<TrainOptions> = {}) =>
    blobRun({
      epochs: 7,
      optimizer: {
        kind: 'sgd',
        lr: {
          kind: 'warmup',
          epochs: 2,
          after: { kind: 'step', lr: 0.1, milestones: [4], gamma: 0.1 },
        },
        momentum: 0.9,
        nesterov: true,
        weightDecay: 1e-3,
      },
      weighting: [{ fromEpoch: 3, weights: { perClass: [1, 3] } }],
      earlyStopping: { set: 'test', metric: 'accuracy', mode: 'max', patience: 50 },
      checkpoint: { dir, every: 2 },
      ...overrides,
    });

  /** Runs `resumable(dir)` until the middle of epoch 4 (the checkpoint of epoch 3 written). */
  const interruptInEpoch4 = async (dir: string) => {
    const controller = new AbortController();
    const first = resumable(dir, {
      signal: controller.signal,
      callbacks: {
        onBatchEnd: (e) => {
          if (e.epoch === 4 && e.stepInEpoch === 2) controller.abort();
        },
      },
    });
    const interrupted = await train(first);
    expect(interrupted.status).toBe('aborted');
    first.model.dispose();
    return interrupted;
  };
  const resumeToEnd = async (dir: string) => {
    const second = resumable(dir, {
      resume: true,
      model: mlp({ inputDim: 2, numClasses: 2, hidden: 8, seed: 999 }),
    });
    try {
      return await train(second);
    } finally {
      second.model.dispose();
    }
  };
  const uninterrupted = async () => {
    const reference = resumable(await tmp());
    const full = await train(reference);
    reference.model.dispose();
    return full;
  };
  const lines = async (dir: string) =>
    (await readFile(join(dir, 'history.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');

  it('resumes an interrupted run and reproduces the uninterrupted one exactly', async () => {
    const reference = resumable(await tmp());
    const full = await train(reference);
    expect(full.status).toBe('done');
    const finalWeights = Array.from(await (reference.model.getWeights()[0] as tf.Tensor).data());

    const dir = await tmp();
    const interrupted = await interruptInEpoch4(dir);
    expect(interrupted.epochsCompleted).toBe(4);
    expect((await readCheckpointMeta(dir)).epochsCompleted).toBe(4);

    // A fresh process would build a fresh model: different init, same spec.
    const second = resumable(dir, {
      resume: true,
      model: mlp({ inputDim: 2, numClasses: 2, hidden: 8, seed: 999 }),
    });
    const resumed = await train(second);
    expect(resumed.status).toBe('done');
    expect(resumed.resumedEpochs).toBe(4);
    expect(metricsOf(resumed.history)).toEqual(metricsOf(full.history));
    expect(Array.from(await (second.model.getWeights()[0] as tf.Tensor).data())).toEqual(
      finalWeights,
    );
    expect(await readdir(dir)).toEqual(['checkpoint.iwckpt', 'history.jsonl']);
    reference.model.dispose();
    second.model.dispose();
  });

  it('appends the history beside the checkpoint, whose size stays put however long the run', async () => {
    const dir = await tmp();
    const sizes: number[] = [];
    const options = blobRun({
      epochs: 30,
      checkpoint: { dir, every: 1 },
      callbacks: {
        onCheckpoint: async ({ path }) => {
          sizes.push((await stat(path)).size);
        },
      },
    });
    const result = await train(options);
    options.model.dispose();
    expect(sizes).toHaveLength(30);
    // Only the digits of counters and the RNG state change (inline history grew ~1 KB an epoch).
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(64);
    expect(await lines(dir)).toHaveLength(30);
    expect((await readCheckpointMeta(dir)).history).toEqual(
      JSON.parse(JSON.stringify(result.history)),
    );
  });

  it('cuts off history lines a crash left after the last checkpoint, and resumes exactly', async () => {
    const full = await uninterrupted();
    const dir = await tmp();
    await interruptInEpoch4(dir);
    expect(await lines(dir)).toHaveLength(4);
    // A crash between appending epoch 4's line and writing its checkpoint, then one mid-line.
    const [last] = (await lines(dir)).slice(-1);
    await appendFile(join(dir, 'history.jsonl'), `${last}\n{"epoch": 5, "lo`);
    const resumed = await resumeToEnd(dir);
    expect(metricsOf(resumed.history)).toEqual(metricsOf(full.history));
    expect((await lines(dir)).map((l) => JSON.parse(l).epoch)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('resumes a version-1 checkpoint, whose history is inside the file', async () => {
    const full = await uninterrupted();
    const dir = await tmp();
    await interruptInEpoch4(dir);
    const path = join(dir, 'checkpoint.iwckpt');
    const { meta, tensors } = await readCheckpointFile<Record<string, unknown>>(path);
    const history = (await lines(dir)).map((l) => JSON.parse(l));
    await writeCheckpointFile(path, { ...meta, version: 1, history }, [...tensors.entries()]);
    tf.dispose([...tensors.values()]);
    await rm(join(dir, 'history.jsonl'));
    const resumed = await resumeToEnd(dir);
    expect(metricsOf(resumed.history)).toEqual(metricsOf(full.history));
    expect(await lines(dir)).toHaveLength(7);
    expect((await readCheckpointMeta(dir)).history).toHaveLength(7);
  });

  it('refuses a history file shorter than its checkpoint says, naming it', async () => {
    const dir = await tmp();
    await interruptInEpoch4(dir);
    const [first] = await lines(dir);
    await writeFile(join(dir, 'history.jsonl'), `${first}\n`);
    await expect(resumeToEnd(dir)).rejects.toThrow(DataError);
    await expect(resumeToEnd(dir)).rejects.toThrow(
      /history\.jsonl.*counts 4 epochs of history, the file has 1 whole lines/,
    );
  });

  it('refuses to resume a checkpoint written by a different run', async () => {
    const dir = await tmp();
    const first = resumable(dir, { epochs: 2 });
    await train(first);
    const other = resumable(dir, { resume: true, seed: 8 });
    await expect(train(other)).rejects.toThrow(/checkpoint\.iwckpt.*field seed.*seed = 7.*8/);
    first.model.dispose();
    other.model.dispose();
  });

  it('matches optimizer settings whatever order their keys were written in', async () => {
    const dir = await tmp();
    const first = resumable(dir, { epochs: 1, optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.5 } });
    await train(first);
    const second = resumable(dir, {
      epochs: 2,
      resume: true,
      optimizer: { momentum: 0.5, lr: 0.1, kind: 'sgd' },
    });
    expect((await train(second)).resumedEpochs).toBe(1);
    first.model.dispose();
    second.model.dispose();
  });

  it('refuses to start a fresh run over an existing checkpoint', async () => {
    const dir = await tmp();
    const first = resumable(dir, { epochs: 1 });
    await train(first);
    const again = resumable(dir, { epochs: 1 });
    await expect(train(again)).rejects.toThrow(
      /checkpoint\.iwckpt, field checkpoint\.dir.*resume: true/,
    );
    first.model.dispose();
    again.model.dispose();
  });

  it('returns a finished run from its checkpoint without training again', async () => {
    const dir = await tmp();
    const first = resumable(dir, { epochs: 3 });
    const done = await train(first);
    let steps = 0;
    const again = resumable(dir, {
      epochs: 3,
      resume: true,
      callbacks: { onBatchEnd: () => void steps++ },
    });
    const result = await train(again);
    expect(steps).toBe(0);
    expect(metricsOf(result.history)).toEqual(metricsOf(done.history));
    first.model.dispose();
    again.model.dispose();
  });
});

describe('train: bad options', () => {
  it.each([
    [{ reduction: 'avg' }, /field reduction/],
    [{ epochs: 0 }, /field epochs/],
    [{ checkNonFiniteEvery: 0.5 }, /field checkNonFiniteEvery/],
    [{ resume: true }, /field resume/],
    [
      { earlyStopping: { set: 'nope', metric: 'accuracy', mode: 'max', patience: 1 } },
      /field earlyStopping\.set.*test, shifted/,
    ],
    [{ classCounts: [1, 2, 3] }, /field classCounts/],
  ] as const)('%j', async (override, message) => {
    const options = blobRun(override as unknown as Partial<TrainOptions>);
    await expect(train(options)).rejects.toThrow(message);
    options.model.dispose();
  });

  it('fails with a DataError naming the epoch when the stream is empty, and reports failed', async () => {
    const statuses: string[] = [];
    const options = blobRun({
      data: { numExamples: 0, batchSize: 8, epoch: async function* () {} },
      callbacks: { onStatus: (e) => void statuses.push(e.status) },
    });
    await expect(train(options)).rejects.toThrow(/epoch 0.*no batches/);
    expect(statuses).toEqual(['running', 'failed']);
    options.model.dispose();
  });
});
