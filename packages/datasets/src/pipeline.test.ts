import '@tensorflow/tfjs-backend-cpu';
import type { Batch } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LabeledData } from './dataset.js';
import { CIFAR_HALF, toBatchStream, toEvalSet } from './pipeline.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 10 "images" 1x1x3 whose bytes encode the example index. */
const images: LabeledData<Uint8Array> = {
  x: Uint8Array.from({ length: 30 }, (_, j) => Math.floor(j / 3) * 10 + (j % 3)),
  exampleShape: [1, 1, 3],
  y: Int32Array.from({ length: 10 }, (_, i) => i % 2),
  group: Int32Array.from({ length: 10 }, (_, i) => i % 3),
  numGroups: 3,
  numClasses: 2,
  classNames: ['a', 'b'],
  source: 'test',
};

async function collect(batches: AsyncIterable<Batch>) {
  const out: { x: number[]; y: number[]; w: number[]; group: number[] | null; shape: number[] }[] =
    [];
  for await (const b of batches) {
    out.push({
      x: Array.from(await b.x.data()),
      y: Array.from(await b.y.data()),
      w: Array.from(await b.w.data()),
      group: b.group ? Array.from(await b.group.data()) : null,
      shape: b.x.shape,
    });
    tf.dispose([b.x, b.y, b.w, ...(b.group ? [b.group] : [])]);
  }
  return out;
}

describe('toBatchStream', () => {
  it('shuffles per epoch from (seed, epoch) alone, keeping x, y, w and group together', async () => {
    const w = Array.from({ length: 10 }, (_, i) => i + 1);
    const stream = toBatchStream(images, { batchSize: 4, seed: 7, weights: w, preprocess: null });
    const e0 = await collect(stream.epoch(0));
    const e1 = await collect(stream.epoch(1));
    expect(e0.map((b) => b.y.length)).toEqual([4, 4, 2]);
    expect(e0[0]!.shape).toEqual([4, 1, 1, 3]);
    const seen = e0.flatMap((b) => b.x.filter((_, j) => j % 3 === 0).map((v) => v / 10));
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const b of e0) {
      b.y.forEach((label, k) => {
        const i = b.x[3 * k]! / 10;
        expect(label).toBe(i % 2);
        expect(b.w[k]).toBe(i + 1);
        expect(b.group![k]).toBe(i % 3);
      });
    }
    expect(e1.flatMap((b) => b.y)).not.toEqual(e0.flatMap((b) => b.y));
    const again = toBatchStream(images, { batchSize: 4, seed: 7, weights: w, preprocess: null });
    expect(await collect(again.epoch(1))).toEqual(e1);
  });

  it('scales uint8 to [0, 1] by default and applies per-channel mean/std', async () => {
    const stream = toBatchStream(images, { batchSize: 10, seed: 0, shuffle: false });
    const [plain] = await collect(stream.epoch(0));
    expect(plain!.x[4]).toBeCloseTo(11 / 255, 6);
    const half = toBatchStream(images, {
      batchSize: 10,
      seed: 0,
      shuffle: false,
      preprocess: CIFAR_HALF,
    });
    const [b] = await collect(half.epoch(0));
    expect(b!.x[4]).toBeCloseTo((11 / 255 - 0.5) / 0.5, 6);
    const custom = toBatchStream(images, {
      batchSize: 10,
      seed: 0,
      shuffle: false,
      preprocess: { scale: 1, mean: [0, 1, 2], std: [1, 2, 4] },
    });
    const [c] = await collect(custom.epoch(0));
    expect(c!.x.slice(27, 30)).toEqual([90, (91 - 1) / 2, (92 - 2) / 4]);
  });

  it('resamples per epoch with P ∝ w and gives w = 1', async () => {
    const w = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const stream = toBatchStream(images, {
      batchSize: 5,
      seed: 1,
      weights: w,
      sampling: 'resample',
      preprocess: null,
    });
    const batches = await collect(stream.epoch(0));
    expect(batches.flatMap((b) => b.w)).toEqual(new Array(10).fill(1));
    expect(batches.flatMap((b) => b.x.filter((_, j) => j % 3 === 0))).toEqual(
      new Array(10).fill(90),
    );
  });

  it('leaks no tensors, also when the consumer stops early', async () => {
    const stream = toBatchStream(images, { batchSize: 3, seed: 2, dropRemainder: true });
    const before = tf.memory().numTensors;
    await collect(stream.epoch(0));
    for await (const b of stream.epoch(1)) {
      tf.dispose([b.x, b.y, b.w, b.group!]);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('evaluation sets keep the order and weight 1', async () => {
    const set = toEvalSet('in-domain', images, { batchSize: 10 });
    const [b] = await collect(set.data.epoch(3));
    expect(b!.y).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect(b!.w).toEqual(new Array(10).fill(1));
  });

  it('rejects bad weights and options, naming the field', () => {
    expect(() => toBatchStream(images, { batchSize: 2, seed: 0, weights: [1, 2] })).toThrow(
      /weights/,
    );
    expect(() =>
      toBatchStream(images, { batchSize: 2, seed: 0, weights: new Array(10).fill(0) }),
    ).toThrow(/all 10 weights are zero/);
    expect(() => toBatchStream(images, { batchSize: 0, seed: 0 })).toThrow(/batchSize/);
    expect(() =>
      toBatchStream(images, { batchSize: 2, seed: 0, preprocess: { mean: [1, 2] } }),
    ).toThrow(/preprocess\.mean/);
  });
});
