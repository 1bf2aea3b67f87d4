// MNIST in its official IDX format (gzipped or not). IDX: two zero bytes, a type code (0x08 =
// unsigned byte), the number of dimensions, then one big-endian uint32 per dimension, then data.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DataError, SpecError } from '@iwlab/core';
import type { ImageData } from './dataset.js';
import { maybeGunzip, readRequiredFile, resolveDataDir } from './internal/io.js';

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const IDX_TYPES: Record<number, string> = {
  8: 'unsigned byte',
  9: 'signed byte',
  11: 'short',
  12: 'int',
  13: 'float',
  14: 'double',
};

/** Parses IDX bytes (already gunzipped). Only the unsigned-byte type is supported. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const found = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(
      ' ',
    );
    throw new DataError(
      `wrong IDX magic number: expected 00 00 <type> <ndims>, found ${found || '(empty file)'}`,
      { file, offset: 0 },
    );
  }
  const type = bytes[2] as number;
  if (type !== 0x08) {
    throw new DataError(
      `IDX type 0x${type.toString(16)} (${IDX_TYPES[type] ?? 'unknown'}) is not supported; expected 0x08 (unsigned byte)`,
      { file, offset: 2 },
    );
  }
  const ndims = bytes[3] as number;
  const header = 4 + 4 * ndims;
  if (ndims === 0 || bytes.length < header) {
    throw new DataError(
      `IDX header declares ${ndims} dimensions but the file has ${bytes.length} bytes`,
      {
        file,
        offset: 3,
      },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, d) => view.getUint32(4 + 4 * d, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const found = bytes.length - header;
  if (found !== expected) {
    throw new DataError(
      `IDX dimensions ${dims.join('x')} need ${expected} data bytes after the ${header}-byte header, found ${found}` +
        (found < expected ? ' (truncated)' : ' (trailing bytes)'),
      { file, offset: header + Math.min(found, expected) },
    );
  }
  return { dims, data: bytes.subarray(header) };
}

export const MNIST_HOW_TO_GET =
  'MNIST is expected as <data dir>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz], the ' +
  'official IDX files (yann.lecun.com/exdb/mnist); the data dir is the dataDir option, else IWLAB_DATA_DIR.';

/** Reads an IDX file, gunzipping it when it is gzip (a *.gz name with other bytes is an error). */
export function readIdxFile(file: string): IdxArray {
  return parseIdx(maybeGunzip(readRequiredFile(file, MNIST_HOW_TO_GET), file), file);
}

function locate(dir: string, name: string): string {
  const gz = path.join(dir, `${name}.gz`);
  return existsSync(gz) ? gz : path.join(dir, name);
}

export interface MnistOptions {
  readonly split: 'train' | 'test';
  readonly dataDir?: string;
}

/** MNIST digits as uint8 [N, 28, 28, 1], labels 0..9. */
export function loadMnist(options: MnistOptions): ImageData {
  if (options.split !== 'train' && options.split !== 'test') {
    throw new SpecError(`split is "${String(options.split)}"; expected train or test`, {
      field: 'split',
    });
  }
  const dir = path.join(resolveDataDir(options.dataDir), 'mnist');
  const prefix = options.split === 'train' ? 'train' : 't10k';
  const imageFile = locate(dir, `${prefix}-images-idx3-ubyte`);
  const labelFile = locate(dir, `${prefix}-labels-idx1-ubyte`);
  const images = readIdxFile(imageFile);
  const labels = readIdxFile(labelFile);
  if (images.dims.length !== 3) {
    throw new DataError(
      `expected 3 image dimensions (count, rows, cols), found ${images.dims.length}`,
      {
        file: imageFile,
        offset: 3,
      },
    );
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new DataError(
      `label file holds ${labels.dims.join('x')} values for ${images.dims[0]} images in ${imageFile}`,
      { file: labelFile, offset: 4 },
    );
  }
  const y = new Int32Array(labels.data.length);
  labels.data.forEach((l, i) => {
    if (l > 9) {
      throw new DataError(`label ${l} is out of range; MNIST labels are 0..9`, {
        file: labelFile,
        offset: 8 + i,
        field: 'label',
      });
    }
    y[i] = l;
  });
  return {
    // A copy, so the gunzipped buffer with its header can be freed.
    x: images.data.slice(),
    exampleShape: [images.dims[1] as number, images.dims[2] as number, 1],
    y,
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    source: imageFile,
  };
}
