// LabeledData → the core BatchStream contract, on tfjs-data. The epoch order comes from
// Rng.derive(seed, epoch) alone, so a resumed run replays exactly the batches it would have seen.
// Features stay in their stored type (uint8 for images) until a batch is built; the batch is
// converted in one pass on the CPU and uploaded as one tensor, so nothing intermediate can leak.
import type { Batch, BatchStream, EvalSet } from '@iwlab/core';
import { assertValidWeights, Rng, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import { exampleSize, type LabeledData, numExamples } from './dataset.js';
import { resampleIndices } from './samplers.js';

/**
 * Feature preprocessing applied while a batch is built: x' = (x · scale − mean[c]) / std[c],
 * with c the channel (last axis). `mean`/`std` have one entry per channel, or one for all.
 */
export interface Preprocess {
  readonly scale?: number;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
}

/** x/255 only. */
export const SCALE_01: Preprocess = { scale: 1 / 255 };
/** x/255, then (x − 0.5)/0.5 per channel: the hjw reproduction's CIFAR preprocessing (A.4.1). */
export const CIFAR_HALF: Preprocess = {
  scale: 1 / 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};
/** x/255, then the published CIFAR-10 per-channel mean/std (thnhan05's preprocessing, A.4.1). */
export const CIFAR_MEAN_STD: Preprocess = {
  scale: 1 / 255,
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.243, 0.261],
};

export interface BatchStreamOptions {
  readonly batchSize: number;
  /** Seed of the per-epoch shuffle (and of per-epoch resampling). */
  readonly seed: number;
  /** Shuffle every epoch (default true). Evaluation streams turn it off. */
  readonly shuffle?: boolean;
  /** Drop a last, smaller batch (default false). */
  readonly dropRemainder?: boolean;
  /** Per-example importance weights (default all 1). */
  readonly weights?: ArrayLike<number>;
  /**
   * 'weight' (default): batches carry `weights` as w. 'resample': every epoch draws N examples
   * with replacement, P(i) ∝ weights[i], from (seed, epoch), and batches carry w = 1 (B.12).
   */
  readonly sampling?: 'weight' | 'resample';
  /**
   * Default: uint8 features → x/255; float features unchanged; int32 features (token ids) stay
   * int32. Give `null` to upload uint8 features unscaled (as float32).
   */
  readonly preprocess?: Preprocess | null;
}

interface Converter {
  readonly dtype: 'float32' | 'int32';
  fill(
    src: LabeledData['x'],
    from: number,
    size: number,
    out: Float32Array | Int32Array,
    at: number,
  ): void;
}

function perChannel(
  values: readonly number[] | undefined,
  channels: number,
  fallback: number,
  field: string,
): number[] {
  if (values === undefined) return new Array<number>(channels).fill(fallback);
  if (values.length === 1) return new Array<number>(channels).fill(values[0] as number);
  if (values.length !== channels) {
    throw new SpecError(`${values.length} values for ${channels} channels`, { field });
  }
  return [...values];
}

function makeConverter(data: LabeledData, preprocess: Preprocess | null | undefined): Converter {
  const isBytes = data.x instanceof Uint8Array;
  if (data.x instanceof Int32Array && preprocess === undefined) {
    return {
      dtype: 'int32',
      fill: (src, from, size, out, at) => out.set(src.subarray(from, from + size), at),
    };
  }
  const p = preprocess ?? (isBytes && preprocess === undefined ? SCALE_01 : {});
  const channels = data.exampleShape[data.exampleShape.length - 1] ?? 1;
  const scale = p.scale ?? 1;
  const mean = perChannel(p.mean, channels, 0, 'preprocess.mean');
  const std = perChannel(p.std, channels, 1, 'preprocess.std');
  std.forEach((s, c) => {
    if (!(s > 0))
      throw new SpecError(`std is ${s}; expected > 0`, { field: `preprocess.std[${c}]` });
  });
  if (isBytes) {
    // 256 entries per channel: one table lookup per byte instead of a multiply-add and a divide.
    const lut = new Float32Array(256 * channels);
    for (let c = 0; c < channels; c++) {
      for (let v = 0; v < 256; v++)
        lut[c * 256 + v] = (v * scale - (mean[c] as number)) / (std[c] as number);
    }
    return {
      dtype: 'float32',
      fill: (src, from, size, out, at) => {
        for (let j = 0; j < size; j++)
          out[at + j] = lut[((j % channels) << 8) | (src[from + j] as number)] as number;
      },
    };
  }
  const a = mean.map((_, c) => scale / (std[c] as number));
  const b = mean.map((m, c) => -m / (std[c] as number));
  return {
    dtype: 'float32',
    fill: (src, from, size, out, at) => {
      for (let j = 0; j < size; j++) {
        const c = j % channels;
        out[at + j] = (src[from + j] as number) * (a[c] as number) + (b[c] as number);
      }
    },
  };
}

class LabeledBatchStream implements BatchStream {
  readonly numExamples: number;
  readonly batchSize: number;
  readonly #data: LabeledData;
  readonly #options: BatchStreamOptions;
  readonly #weights: Float32Array;
  readonly #convert: Converter;

  constructor(data: LabeledData, options: BatchStreamOptions) {
    const n = numExamples(data);
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new SpecError(`batch size is ${options.batchSize}; expected an integer >= 1`, {
        field: 'batchSize',
      });
    }
    if (!Number.isSafeInteger(options.seed)) {
      throw new SpecError(`seed is ${options.seed}; expected a safe integer`, { field: 'seed' });
    }
    if (data.x.length !== n * exampleSize(data)) {
      throw new SpecError(
        `features hold ${data.x.length} values, expected ${n} examples x ${exampleSize(data)}`,
        { field: 'x', file: data.source },
      );
    }
    if (options.weights !== undefined) {
      if (options.weights.length !== n) {
        throw new SpecError(`${options.weights.length} weights for ${n} examples`, {
          field: 'weights',
        });
      }
      assertValidWeights(options.weights, 'weights');
    }
    this.#weights =
      options.weights === undefined
        ? new Float32Array(n).fill(1)
        : Float32Array.from(options.weights);
    this.#data = data;
    this.#options = options;
    this.#convert = makeConverter(data, options.preprocess);
    this.numExamples = n;
    this.batchSize = options.batchSize;
  }

  /** The example indices of epoch `e`, in batch order. */
  order(epochIndex: number): Int32Array {
    const n = this.numExamples;
    const rng = Rng.derive(this.#options.seed, epochIndex);
    if (this.#options.sampling === 'resample') return resampleIndices(this.#weights, n, rng);
    if (this.#options.shuffle === false) return Int32Array.from({ length: n }, (_, i) => i);
    return rng.permutation(n);
  }

  #batch(indices: Int32Array): Batch {
    const data = this.#data;
    const size = exampleSize(data);
    const b = indices.length;
    const x =
      this.#convert.dtype === 'int32' ? new Int32Array(b * size) : new Float32Array(b * size);
    const y = new Int32Array(b);
    const w = new Float32Array(b);
    const group = data.group === undefined ? undefined : new Int32Array(b);
    const resampled = this.#options.sampling === 'resample';
    for (let k = 0; k < b; k++) {
      const i = indices[k] as number;
      this.#convert.fill(data.x, i * size, size, x, k * size);
      y[k] = data.y[i] as number;
      w[k] = resampled ? 1 : (this.#weights[i] as number);
      if (group !== undefined) group[k] = (data.group as Int32Array)[i] as number;
    }
    return {
      x: tf.tensor(x, [b, ...data.exampleShape], this.#convert.dtype),
      y: tf.tensor1d(y, 'int32'),
      w: tf.tensor1d(w, 'float32'),
      ...(group === undefined ? {} : { group: tf.tensor1d(group, 'int32') }),
    };
  }

  async *epoch(epochIndex: number): AsyncGenerator<Batch> {
    if (!Number.isInteger(epochIndex) || epochIndex < 0) {
      throw new SpecError(`epoch is ${epochIndex}; expected an integer >= 0`, { field: 'epoch' });
    }
    const order = this.order(epochIndex);
    const bs = this.batchSize;
    const end =
      this.#options.dropRemainder === true ? order.length - (order.length % bs) : order.length;
    // Index batches flow through tfjs-data; tensors are only made in `map`, one batch at a time
    // and only when the consumer asks, so stopping early leaves nothing allocated.
    const batches = tfd
      .generator(function* () {
        for (let start = 0; start < end; start += bs)
          yield order.subarray(start, Math.min(start + bs, end));
      })
      .map((indices) => this.#batch(indices as Int32Array) as unknown as tf.TensorContainer);
    const it = await batches.iterator();
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value as unknown as Batch;
    }
  }
}

/** A BatchStream over in-memory data; see BatchStreamOptions. */
export function toBatchStream(
  data: LabeledData,
  options: BatchStreamOptions,
): BatchStream & {
  order(epochIndex: number): Int32Array;
} {
  return new LabeledBatchStream(data, options);
}

/** An evaluation set: fixed order, weight 1, the same preprocessing as training. */
export function toEvalSet(
  name: string,
  data: LabeledData,
  options: { readonly batchSize: number; readonly preprocess?: Preprocess | null },
): EvalSet {
  return {
    name,
    data: toBatchStream(data, { ...options, seed: 0, shuffle: false }),
  };
}
