import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataError, DatasetMissingError } from '@iwlab/core';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../__tests__/tmp.js';
import { readImageFolder } from './folder.js';

const root = tempDir('folder');

function png(file: string, rgb: number[], width = 2, height = 1): void {
  writeFileSync(
    file,
    encodePng({ width, height, data: Uint8Array.from(rgb), channels: 3, depth: 8 }),
  );
}

describe('readImageFolder', () => {
  it('reads <class>/<file> PNGs exactly and JPEGs approximately, labels by class order', () => {
    mkdirSync(path.join(root, 'ok', 'cat'), { recursive: true });
    mkdirSync(path.join(root, 'ok', 'dog'), { recursive: true });
    png(path.join(root, 'ok', 'cat', '0001.png'), [1, 2, 3, 4, 5, 6]);
    png(path.join(root, 'ok', 'cat', '0000.png'), [10, 20, 30, 40, 50, 60]);
    const gray = {
      width: 2,
      height: 1,
      data: Buffer.from([200, 200, 200, 255, 200, 200, 200, 255]),
    };
    writeFileSync(path.join(root, 'ok', 'dog', 'a.jpg'), jpeg.encode(gray, 100).data);
    const data = readImageFolder(path.join(root, 'ok'));
    expect(data.classNames).toEqual(['cat', 'dog']);
    expect(data.exampleShape).toEqual([1, 2, 3]);
    expect(Array.from(data.y)).toEqual([0, 0, 1]);
    expect(Array.from(data.x.subarray(0, 12))).toEqual([10, 20, 30, 40, 50, 60, 1, 2, 3, 4, 5, 6]);
    for (const v of data.x.subarray(12)) expect(Math.abs(v - 200)).toBeLessThanOrEqual(2);
    const onlyDogs = readImageFolder(path.join(root, 'ok'), { classes: ['dog'] });
    expect(Array.from(onlyDogs.y)).toEqual([0]);
    expect(readImageFolder(path.join(root, 'ok'), { maxPerClass: 1 }).y.length).toBe(2);
  });

  it('rejects mixed sizes, undecodable files and missing folders, naming the file', () => {
    mkdirSync(path.join(root, 'bad', 'a'), { recursive: true });
    png(path.join(root, 'bad', 'a', '0.png'), [1, 2, 3, 4, 5, 6]);
    png(path.join(root, 'bad', 'a', '1.png'), [1, 2, 3], 1, 1);
    expect(() => readImageFolder(path.join(root, 'bad'))).toThrow(
      /1\.png: image is 1x1; expected 2x1/,
    );
    mkdirSync(path.join(root, 'corrupt', 'a'), { recursive: true });
    writeFileSync(path.join(root, 'corrupt', 'a', 'x.jpg'), 'not a jpeg');
    expect(() => readImageFolder(path.join(root, 'corrupt'))).toThrow(DataError);
    expect(() => readImageFolder(path.join(root, 'corrupt'))).toThrow(/x\.jpg: cannot decode JPEG/);
    expect(() => readImageFolder(path.join(root, 'absent'))).toThrow(DatasetMissingError);
    expect(() => readImageFolder(path.join(root, 'ok'), { classes: ['cow'] })).toThrow(
      /class folder "cow" not found/,
    );
  });
});
