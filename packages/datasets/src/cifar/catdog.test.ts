import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatasetMissingError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { writeCifarFile } from '../__tests__/cifar-fixtures.js';
import { REAL_DATA_DIR, realDataMissing } from '../__tests__/data-dir.js';
import { tempDir } from '../__tests__/tmp.js';
import { classCounts } from '../dataset.js';
import { loadCatDog, uniformNoiseImages } from './catdog.js';

function nthIndexOf(y: Int32Array, label: number, n: number): number {
  let seen = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === label && seen++ === n) return i;
  return -1;
}

describe('loadCatDog', () => {
  it('official source: cats/dogs relabelled 0/1, the other 8 test classes as out-of-domain', () => {
    const root = tempDir('catdog');
    const dir = path.join(root, 'cifar-10-batches-bin');
    mkdirSync(dir);
    for (let b = 1; b <= 5; b++) writeCifarFile(path.join(dir, `data_batch_${b}.bin`), [3, 5, 1]);
    writeCifarFile(path.join(dir, 'test_batch.bin'), [0, 3, 5, 9, 5]);
    const task = loadCatDog({ source: 'official', dataDir: root, noise: { count: 4, seed: 1 } });
    expect(Array.from(task.train.y)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect(task.train.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(task.evaluation.inDomain.y)).toEqual([0, 1, 1]);
    expect(Array.from(task.evaluation.outOfDomain!.y)).toEqual([-1, -1]);
    expect(task.evaluation.noise!.x.length).toBe(4 * 3072);
  });

  it('says how to get the data when it is absent', () => {
    const root = tempDir('empty');
    expect(() => loadCatDog({ source: 'official', dataDir: root })).toThrow(DatasetMissingError);
    expect(() => loadCatDog({ source: 'official', dataDir: root })).toThrow(
      /data_batch_1\.bin: file not found.*downloadCifar10/,
    );
    expect(() => loadCatDog({ source: 'jpeg', dataDir: root })).toThrow(/jpeg\/train/);
  });

  it('noise images are seeded uniform bytes', () => {
    const a = uniformNoiseImages(10, 3);
    expect(uniformNoiseImages(10, 3).x).toEqual(a.x);
    const mean = a.x.reduce((s, v) => s + v, 0) / a.x.length;
    expect(mean).toBeCloseTo(127.5, -1);
  });

  it.skipIf(realDataMissing('cifar10-catdog'))(
    'lossless source: the SOURCE.md split of the real files',
    () => {
      const t0 = performance.now();
      const task = loadCatDog({ dataDir: REAL_DATA_DIR, noise: false });
      console.log(
        `[datasets] lossless cat/dog task (10,000 + 8,000 + 189 images) read in ${(performance.now() - t0).toFixed(0)} ms`,
      );
      expect(classCounts(task.train)).toEqual([4000, 4000]);
      expect(classCounts(task.evaluation.inDomain)).toEqual([1000, 1000]);
      expect(task.evaluation.outOfDomain!.y.length).toBe(8000);
      expect(classCounts(task.evaluation.officialTest!)).toEqual([103, 86]);
      // SOURCE.md: the first train image's R row starts 59 43 50 68 98 ...; it is a frog (class 6),
      // so check the first out-of-domain training image instead.
      const firstR = Array.from({ length: 5 }, (_, p) => task.evaluation.outOfDomain!.x[p * 3]);
      expect(firstR).toEqual([59, 43, 50, 68, 98]);
      expect(task.train.x.length).toBe(8000 * 3072);
    },
  );

  it.skipIf(realDataMissing('cifar10-catdog/jpeg'))(
    'jpeg source: reads the JPEG copy (a few per class)',
    () => {
      const task = loadCatDog({
        source: 'jpeg',
        dataDir: REAL_DATA_DIR,
        maxPerClass: 3,
        noise: false,
      });
      expect(task.train.exampleShape).toEqual([32, 32, 3]);
      expect(Array.from(task.train.y)).toEqual([0, 0, 0, 1, 1, 1]);
      expect(task.evaluation.inDomain.y.length).toBe(6);
      expect(task.evaluation.outOfDomain).toBeUndefined();
      // SOURCE.md: JPEG k equals lossless image k up to JPEG error (~5.5/255 mean abs), while a
      // mismatched pair differs by ~65: this pins down decoding, channel order and orientation.
      const lossless = loadCatDog({ dataDir: REAL_DATA_DIR, noise: false }).train;
      const mae = (a: number, b: number) => {
        let sum = 0;
        for (let j = 0; j < 3072; j++) {
          sum += Math.abs(task.train.x[a * 3072 + j]! - lossless.x[b * 3072 + j]!);
        }
        return sum / 3072;
      };
      // The lossless set keeps the official order, cats and dogs interleaved.
      const cats = [0, 1, 2].map((k) => nthIndexOf(lossless.y, 0, k));
      const dogs = [0, 1, 2].map((k) => nthIndexOf(lossless.y, 1, k));
      [...cats, ...dogs].forEach((l, jpegIndex) => {
        expect(mae(jpegIndex, l)).toBeLessThan(10);
      });
      expect(mae(0, cats[1]!)).toBeGreaterThan(30);
    },
  );
});
