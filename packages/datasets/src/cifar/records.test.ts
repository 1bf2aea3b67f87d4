import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataError, DatasetMissingError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { cifarRecordBytes, expectedPixel, writeCifarFile } from '../__tests__/cifar-fixtures.js';
import { REAL_DATA_DIR, realDataMissing } from '../__tests__/data-dir.js';
import { tempDir } from '../__tests__/tmp.js';
import { CIFAR_RECORD_BYTES, readCifarRecords } from './records.js';

const dir = tempDir('cifar');

describe('readCifarRecords', () => {
  it('reads planes R, G, B into channels-last images, across files, in order', () => {
    const a = path.join(dir, 'a.bin');
    const b = path.join(dir, 'b.bin');
    writeCifarFile(a, [3, 5, 0]);
    writeCifarFile(b, [9]);
    const r = readCifarRecords([a, b]);
    expect(r.count).toBe(4);
    expect(Array.from(r.labels)).toEqual([3, 5, 0, 9]);
    expect(r.images.length).toBe(4 * 3072);
    for (const [k, p, c] of [
      [0, 0, 0],
      [1, 5, 1],
      [2, 1023, 2],
    ] as const) {
      expect(r.images[k * 3072 + p * 3 + c]).toBe(expectedPixel(k, p, c));
    }
    // Record 0 of the second file.
    expect(r.images[3 * 3072 + 2]).toBe(expectedPixel(0, 0, 2));
  });

  it('keeps only the requested classes, with their own pixels', () => {
    const f = path.join(dir, 'mixed.bin');
    writeCifarFile(f, [1, 3, 2, 5, 3]);
    const r = readCifarRecords([f], { classes: [3, 5] });
    expect(Array.from(r.labels)).toEqual([3, 5, 3]);
    // Kept records are 1, 3 and 4 of the file.
    expect(r.images[0]).toBe(expectedPixel(1, 0, 0));
    expect(r.images[3072]).toBe(expectedPixel(3, 0, 0));
    expect(r.images[2 * 3072 + 4]).toBe(expectedPixel(4, 1, 1));
  });

  it('rejects a truncated file, naming the byte offset of the cut record', () => {
    const f = path.join(dir, 'truncated.bin');
    writeFileSync(f, cifarRecordBytes([3, 5]).subarray(0, CIFAR_RECORD_BYTES + 100));
    expect(() => readCifarRecords([f])).toThrow(DataError);
    expect(() => readCifarRecords([f])).toThrow(
      /truncated\.bin, byte 3073: file has 3173 bytes.*record 1 is truncated to 100 bytes/,
    );
    const empty = path.join(dir, 'empty.bin');
    writeFileSync(empty, '');
    expect(() => readCifarRecords([empty])).toThrow(/file is empty/);
  });

  it('rejects a label out of range, naming file, offset and field', () => {
    const f = path.join(dir, 'badlabel.bin');
    writeCifarFile(f, [3, 12]);
    expect(() => readCifarRecords([f])).toThrow(
      /badlabel\.bin, byte 3073, field label: label 12 is out of range/,
    );
    expect(() => readCifarRecords([f], { classes: [3] })).toThrow(/byte 3073/);
  });

  it('says how to get the data when a file is missing', () => {
    const f = path.join(dir, 'nope.bin');
    expect(() => readCifarRecords([f])).toThrow(DatasetMissingError);
    expect(() => readCifarRecords([f])).toThrow(/nope\.bin: file not found.*downloadCifar10/);
  });

  it.skipIf(realDataMissing('cifar10-catdog'))(
    'reads the real lossless test file: 189 cats/dogs with the known first pixels',
    () => {
      const r = readCifarRecords([
        path.join(REAL_DATA_DIR, 'cifar10-catdog', 'test_first1000_catdog.bin'),
      ]);
      expect(r.count).toBe(189);
      const cats = Array.from(r.labels).filter((l) => l === 3).length;
      expect([cats, r.count - cats]).toEqual([103, 86]);
    },
  );
});
