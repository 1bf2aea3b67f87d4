import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, DatasetMissingError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { REAL_DATA_DIR, realDataMissing } from './__tests__/data-dir.js';
import { tempDir } from './__tests__/tmp.js';
import { loadAdult } from './adult.js';
import { classCounts } from './dataset.js';

const rowA =
  '39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K';
const rowB =
  '50, Private, 83311, Masters, 14, Married-civ-spouse, Exec-managerial, Husband, White, Female, 0, 0, 60, ?, >50K';

function write(root: string, train: string[], test: string[]): void {
  mkdirSync(path.join(root, 'adult'), { recursive: true });
  writeFileSync(path.join(root, 'adult', 'adult.data.gz'), gzipSync(`${train.join('\n')}\n\n`));
  writeFileSync(
    path.join(root, 'adult', 'adult.test'),
    ['|1x3 Cross validator', ...test, ''].join('\n'),
  );
}

describe('loadAdult', () => {
  it('one-hot encodes categories and standardizes numbers from the training split', async () => {
    const root = tempDir('adult');
    write(root, [rowA, rowB], [`${rowB.replace('>50K', '>50K.').replace('Masters', 'Doctorate')}`]);
    const a = await loadAdult({ dataDir: root });
    expect(Array.from(a.train.y)).toEqual([0, 1]);
    expect(Array.from(a.test.y)).toEqual([1]);
    const col = (name: string) => a.featureNames.indexOf(name);
    const width = a.featureNames.length;
    expect(a.train.exampleShape).toEqual([width]);
    // age 39 and 50: mean 44.5, sd 5.5 → -1 and +1.
    expect(a.train.x[col('age')]).toBeCloseTo(-1, 6);
    expect(a.train.x[width + col('age')]).toBeCloseTo(1, 6);
    expect(a.train.x[col('workclass=State-gov')]).toBe(1);
    expect(a.train.x[width + col('native-country=?')]).toBe(1);
    // "Doctorate" never appears in training: no column, all education columns 0.
    expect(col('education=Doctorate')).toBe(-1);
    expect(a.test.x[col('education=Masters')]).toBe(0);
    expect(Array.from(a.sex.train)).toEqual([1, 0]);
  });

  it('names file and line of a bad row or label, and says how to get missing files', async () => {
    const root = tempDir('adult-bad');
    write(root, [rowA, '1, 2, 3'], [rowA]);
    await expect(loadAdult({ dataDir: root })).rejects.toThrow(
      /adult\.data\.gz, field line 2: expected 15/,
    );
    write(root, [rowA, rowB.replace('>50K', 'rich')], [rowA]);
    await expect(loadAdult({ dataDir: root })).rejects.toThrow(DataError);
    await expect(loadAdult({ dataDir: root })).rejects.toThrow(
      /field line 2 income: income is "rich"/,
    );
    write(root, [rowA.replace('39', 'old')], [rowA]);
    await expect(loadAdult({ dataDir: root })).rejects.toThrow(
      /field line 1 age: expected a number/,
    );
    await expect(loadAdult({ dataDir: path.join(root, 'none') })).rejects.toThrow(
      DatasetMissingError,
    );
  });

  it.skipIf(realDataMissing('adult'))('reads the real UCI Adult files', async () => {
    const a = await loadAdult({ dataDir: REAL_DATA_DIR });
    expect(classCounts(a.train)).toEqual([32561 - 7841, 7841]);
    expect(classCounts(a.test)).toEqual([16281 - 3846, 3846]);
    expect(a.featureNames.slice(0, 2)).toEqual(['age', 'workclass=?']);
  });
});
