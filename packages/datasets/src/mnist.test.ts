import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, DatasetMissingError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { REAL_DATA_DIR, realDataMissing } from './__tests__/data-dir.js';
import { tempDir } from './__tests__/tmp.js';
import { classCounts } from './dataset.js';
import { loadMnist, parseIdx, readIdxFile } from './mnist.js';

const dir = tempDir('mnist');

function idx(dims: number[], data: number[], type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => {
    header.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([header, Buffer.from(data)]);
}

function writeMnist(root: string, images: Buffer, labels: Buffer, gz: boolean): void {
  mkdirSync(path.join(root, 'mnist'), { recursive: true });
  const ext = gz ? '.gz' : '';
  writeFileSync(
    path.join(root, 'mnist', `t10k-images-idx3-ubyte${ext}`),
    gz ? gzipSync(images) : images,
  );
  writeFileSync(
    path.join(root, 'mnist', `t10k-labels-idx1-ubyte${ext}`),
    gz ? gzipSync(labels) : labels,
  );
}

describe('IDX and MNIST', () => {
  it('parses IDX headers and data, gzipped or not', () => {
    const bytes = idx([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(parseIdx(bytes, 'x').dims).toEqual([2, 2, 3]);
    for (const gz of [false, true]) {
      const root = mkdtempSync(path.join(dir, 'm'));
      writeMnist(root, idx([2, 1, 2], [0, 255, 7, 8]), idx([2], [7, 3]), gz);
      const data = loadMnist({ split: 'test', dataDir: root });
      expect(data.exampleShape).toEqual([1, 2, 1]);
      expect(Array.from(data.x)).toEqual([0, 255, 7, 8]);
      expect(Array.from(data.y)).toEqual([7, 3]);
    }
  });

  it('rejects a wrong IDX magic, an unsupported type and a truncated body, naming the offset', () => {
    expect(() => parseIdx(Buffer.from([1, 0, 8, 1, 0, 0, 0, 0]), 'f.idx')).toThrow(
      /f\.idx, byte 0: wrong IDX magic number: expected 00 00 <type> <ndims>, found 01 00 08 01/,
    );
    expect(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d), 'f')).toThrow(
      /byte 2: IDX type 0xd \(float\)/,
    );
    expect(() => parseIdx(idx([10], [1, 2, 3]), 'f')).toThrow(
      /byte 11: .*need 10 data bytes.*found 3 \(truncated\)/,
    );
    expect(() => parseIdx(Buffer.alloc(0), 'f')).toThrow(/empty file/);
  });

  it('rejects a .gz file that is not gzip, naming file and offset', () => {
    const f = path.join(dir, 'fake-idx1-ubyte.gz');
    writeFileSync(f, idx([1], [3]));
    expect(() => readIdxFile(f)).toThrow(DataError);
    expect(() => readIdxFile(f)).toThrow(
      /fake-idx1-ubyte\.gz, byte 0: wrong gzip magic number: expected 1f 8b, found 00 00/,
    );
    const cut = path.join(dir, 'cut.gz');
    writeFileSync(cut, gzipSync(idx([100], new Array(100).fill(1))).subarray(0, 20));
    expect(() => readIdxFile(cut)).toThrow(/cut\.gz: corrupt or truncated gzip/);
  });

  it('rejects labels out of range and count mismatches, and says how to get missing files', () => {
    const root = mkdtempSync(path.join(dir, 'bad'));
    writeMnist(root, idx([2, 1, 1], [0, 0]), idx([2], [1, 10]), false);
    expect(() => loadMnist({ split: 'test', dataDir: root })).toThrow(
      /byte 9, field label: label 10 is out of range/,
    );
    writeMnist(root, idx([2, 1, 1], [0, 0]), idx([3], [1, 1, 1]), false);
    expect(() => loadMnist({ split: 'test', dataDir: root })).toThrow(
      /label file holds 3 values for 2 images/,
    );
    const empty = mkdtempSync(path.join(dir, 'none'));
    expect(() => loadMnist({ split: 'train', dataDir: empty })).toThrow(DatasetMissingError);
    expect(() => loadMnist({ split: 'train', dataDir: empty })).toThrow(
      /train-images-idx3-ubyte: file not found.*yann\.lecun/,
    );
  });

  it.skipIf(realDataMissing('mnist'))('reads the real MNIST test split', () => {
    const test = loadMnist({ split: 'test', dataDir: REAL_DATA_DIR });
    expect(test.y.length).toBe(10000);
    expect(test.exampleShape).toEqual([28, 28, 1]);
    // Known class counts of the MNIST test set.
    expect(classCounts(test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(test.y[0]).toBe(7);
  });
});
