// The Byrd & Lipton task (reference A.4.1, A.7): CIFAR-10 cat (class 3) vs dog (class 5),
// relabelled cat → 0, dog → 1, with the evaluation sets the paper uses. One call returns one
// source only: lossless and JPEG images are never mixed in one experiment (JPEG artefacts would
// themselves be a train/test shift).
import path from 'node:path';
import { Rng, SpecError } from '@iwlab/core';
import type { ImageData, LabeledData } from '../dataset.js';
import { selectExamples } from '../dataset.js';
import { readImageFolder } from '../images/folder.js';
import { resolveDataDir } from '../internal/io.js';
import { CIFAR_HOW_TO_GET, CIFAR_IMAGE_SIZE, readCifarRecords } from './records.js';

export const CAT = 3;
export const DOG = 5;
export const CAT_DOG_CLASS_NAMES = ['cat', 'dog'] as const;

/**
 * - 'lossless': the bit-exact repack in <data dir>/cifar10-catdog (its SOURCE.md split: first
 *   4000 cats/dogs train, last 1000 each in-domain test, 8000 other-class images out-of-domain,
 *   plus the 189 lossless official test cats/dogs).
 * - 'official': the official binary files in <data dir>/cifar-10-batches-bin (downloadCifar10):
 *   the paper's exact sets (5000+5000 train, 2000 test cats/dogs, 8000 other test images).
 * - 'jpeg': <data dir>/cifar10-catdog/jpeg, the complete official split as JPEG (q 75). No
 *   out-of-domain set exists in JPEG form, so none is returned.
 */
export type CatDogSource = 'lossless' | 'official' | 'jpeg';

export interface CatDogOptions {
  readonly source?: CatDogSource;
  readonly dataDir?: string;
  /** Uniform-noise evaluation images (default 1000 from seed 0); `false` for none. */
  readonly noise?: false | { readonly count?: number; readonly seed: number };
  /** Lossless source only: cats (and dogs) used for training; the rest are the in-domain test. */
  readonly trainPerClass?: number;
  /** JPEG source only: read at most this many images per class and split (quick checks). */
  readonly maxPerClass?: number;
}

export interface CatDogTask {
  readonly source: CatDogSource;
  /** Labels 0 = cat, 1 = dog. */
  readonly train: ImageData;
  readonly evaluation: {
    /** Held-out cats and dogs. */
    readonly inDomain: ImageData;
    /** Images of the other 8 classes, label -1 (a cat-vs-dog model has no right answer). */
    readonly outOfDomain?: ImageData;
    /** Uniform uint8 noise images, label -1. */
    readonly noise?: ImageData;
    /** Lossless source only: the 189 official test cats/dogs found losslessly. */
    readonly officialTest?: ImageData;
  };
}

const SHAPE = [CIFAR_IMAGE_SIZE, CIFAR_IMAGE_SIZE, 3] as const;

function catDogData(images: Uint8Array, original: Uint8Array, source: string): ImageData {
  const y = Int32Array.from(original, (l) => (l === CAT ? 0 : l === DOG ? 1 : -1));
  return {
    x: images,
    exampleShape: SHAPE,
    y,
    numClasses: 2,
    classNames: CAT_DOG_CLASS_NAMES,
    source,
  };
}

function readCatDog(files: readonly string[]): ImageData {
  const r = readCifarRecords(files, { classes: [CAT, DOG] });
  return catDogData(r.images, r.labels, files.join(', '));
}

function readOthers(files: readonly string[]): ImageData {
  const others = [0, 1, 2, 4, 6, 7, 8, 9];
  const r = readCifarRecords(files, { classes: others });
  return catDogData(r.images, r.labels, files.join(', '));
}

/**
 * `count` images of uniform uint8 noise (the 2025 reproduction's `rand(1000, 32, 32, 3)`, on the
 * byte scale so the same preprocessing applies), label -1.
 */
export function uniformNoiseImages(
  count: number,
  seed: number,
  exampleShape: readonly number[] = SHAPE,
): ImageData {
  if (!Number.isInteger(count) || count < 1) {
    throw new SpecError(`noise count is ${count}; expected an integer >= 1`, {
      field: 'noise.count',
    });
  }
  const rng = Rng.fromSeed(seed);
  const size = exampleShape.reduce((a, b) => a * b, 1);
  const x = new Uint8Array(count * size);
  for (let i = 0; i < x.length; i++) x[i] = rng.int(0, 255);
  return {
    x,
    exampleShape,
    y: new Int32Array(count).fill(-1),
    numClasses: 2,
    classNames: CAT_DOG_CLASS_NAMES,
    source: `uniformNoiseImages(seed ${seed})`,
  };
}

/** First `k` and remaining examples of each class, keeping the original order. */
function splitPerClass(data: LabeledData<Uint8Array>, k: number) {
  const first: number[] = [];
  const rest: number[] = [];
  const seen = [0, 0];
  data.y.forEach((c, i) => {
    const n = seen[c] as number;
    (n < k ? first : rest).push(i);
    seen[c] = n + 1;
  });
  if (seen.some((n) => n <= k)) {
    throw new SpecError(
      `trainPerClass ${k} leaves no test images: the file has ${seen[0]} cats and ${seen[1]} dogs`,
      { field: 'trainPerClass' },
    );
  }
  return { first: selectExamples(data, first), rest: selectExamples(data, rest) };
}

/** Loads the cat-vs-dog task from one source; see CatDogSource for the sets each gives. */
export function loadCatDog(options: CatDogOptions = {}): CatDogTask {
  const source = options.source ?? 'lossless';
  const root = resolveDataDir(options.dataDir);
  const noiseSpec = options.noise === undefined ? { seed: 0 } : options.noise;
  const noise =
    noiseSpec === false ? undefined : uniformNoiseImages(noiseSpec.count ?? 1000, noiseSpec.seed);
  const withNoise = noise === undefined ? {} : { noise };
  switch (source) {
    case 'lossless': {
      const dir = path.join(root, 'cifar10-catdog');
      const all = readCatDog([path.join(dir, 'train_catdog.bin')]);
      const { first, rest } = splitPerClass(all, options.trainPerClass ?? 4000);
      return {
        source,
        train: first,
        evaluation: {
          inDomain: rest,
          outOfDomain: readOthers([path.join(dir, 'ood_other8_train.bin')]),
          officialTest: readCatDog([path.join(dir, 'test_first1000_catdog.bin')]),
          ...withNoise,
        },
      };
    }
    case 'official': {
      const dir = path.join(root, 'cifar-10-batches-bin');
      const trainFiles = [1, 2, 3, 4, 5].map((b) => path.join(dir, `data_batch_${b}.bin`));
      const testFile = [path.join(dir, 'test_batch.bin')];
      return {
        source,
        train: readCatDog(trainFiles),
        evaluation: {
          inDomain: readCatDog(testFile),
          outOfDomain: readOthers(testFile),
          ...withNoise,
        },
      };
    }
    case 'jpeg': {
      const dir = path.join(root, 'cifar10-catdog', 'jpeg');
      const read = (split: string) =>
        readImageFolder(path.join(dir, split), {
          classes: CAT_DOG_CLASS_NAMES,
          howToGet: `Expected the JPEG copy of CIFAR-10 as <data dir>/cifar10-catdog/jpeg/${split}/{cat,dog}/*.jpg. ${CIFAR_HOW_TO_GET}`,
          ...(options.maxPerClass === undefined ? {} : { maxPerClass: options.maxPerClass }),
        });
      return { source, train: read('train'), evaluation: { inDomain: read('test'), ...withNoise } };
    }
    default:
      throw new SpecError(`unknown source "${String(source)}"; use lossless, official or jpeg`, {
        field: 'source',
      });
  }
}
