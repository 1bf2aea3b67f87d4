// The official "CIFAR-10 binary version" record: 1 label byte, then 3072 pixel bytes as three
// 32x32 row-major planes (R, G, B). Records are read in chunks and written straight into one
// NHWC uint8 array, so loading costs the images' own bytes plus one small chunk buffer.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { DataError } from '@iwlab/core';
import { requireFile } from '../internal/io.js';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

export const CIFAR_IMAGE_SIZE = 32;
const PLANE = CIFAR_IMAGE_SIZE * CIFAR_IMAGE_SIZE;
const PIXELS = 3 * PLANE;
/** Bytes per record: 1 label + 3072 pixels. */
export const CIFAR_RECORD_BYTES = 1 + PIXELS;
const CHUNK_RECORDS = 1024;

export const CIFAR_HOW_TO_GET =
  'Get the CIFAR-10 binary version with downloadCifar10() (it fills <data dir>/cifar-10-batches-bin), ' +
  'or put the record files there yourself; the data dir is the dataDir option, else IWLAB_DATA_DIR.';

export interface CifarRecords {
  /** [count, 32, 32, 3] uint8, channels last. */
  readonly images: Uint8Array;
  /** Original CIFAR-10 class id of each image (0..9). */
  readonly labels: Uint8Array;
  readonly count: number;
}

export interface ReadCifarOptions {
  /** Keep only records whose label is one of these CIFAR-10 class ids (default: all). */
  readonly classes?: readonly number[];
}

function recordCount(file: string): number {
  requireFile(file, CIFAR_HOW_TO_GET);
  const size = statSync(file).size;
  const whole = Math.floor(size / CIFAR_RECORD_BYTES);
  if (size === 0 || size % CIFAR_RECORD_BYTES !== 0) {
    throw new DataError(
      size === 0
        ? `file is empty; expected records of ${CIFAR_RECORD_BYTES} bytes (1 label + 3072 pixels)`
        : `file has ${size} bytes, not a whole number of ${CIFAR_RECORD_BYTES}-byte records ` +
            `(1 label + 3072 pixels): record ${whole} is truncated to ${size % CIFAR_RECORD_BYTES} bytes`,
      { file, offset: whole * CIFAR_RECORD_BYTES },
    );
  }
  return whole;
}

function checkLabel(label: number, file: string, record: number): void {
  if (label > 9) {
    throw new DataError(`label ${label} is out of range; CIFAR-10 labels are 0..9`, {
      file,
      offset: record * CIFAR_RECORD_BYTES,
      field: 'label',
    });
  }
}

function readLabels(fd: number, file: string, count: number): Uint8Array {
  const labels = new Uint8Array(count);
  const one = Buffer.alloc(1);
  for (let r = 0; r < count; r++) {
    readSync(fd, one, 0, 1, r * CIFAR_RECORD_BYTES);
    checkLabel(one[0] as number, file, r);
    labels[r] = one[0] as number;
  }
  return labels;
}

/**
 * Reads CIFAR-10 binary record files (`data_batch_*.bin`, `test_batch.bin`, or repacked files in
 * the same format), in the order given, keeping the records of `options.classes`.
 */
export function readCifarRecords(
  files: readonly string[],
  options: ReadCifarOptions = {},
): CifarRecords {
  const keep = options.classes === undefined ? null : new Set(options.classes);
  const counts = files.map(recordCount);
  const fds = files.map((f) => openSync(f, 'r'));
  try {
    // With a class filter, a cheap first pass over the label bytes sizes the output exactly.
    const labelsPerFile = fds.map((fd, k) =>
      keep === null ? null : readLabels(fd, files[k] as string, counts[k] as number),
    );
    let total = 0;
    labelsPerFile.forEach((labels, k) => {
      if (labels === null) total += counts[k] as number;
      else for (const l of labels) if (keep?.has(l)) total++;
    });
    const images = new Uint8Array(total * PIXELS);
    const labels = new Uint8Array(total);
    const chunk = Buffer.alloc(CHUNK_RECORDS * CIFAR_RECORD_BYTES);
    let out = 0;
    fds.forEach((fd, k) => {
      const file = files[k] as string;
      const count = counts[k] as number;
      for (let first = 0; first < count; first += CHUNK_RECORDS) {
        const n = Math.min(CHUNK_RECORDS, count - first);
        const bytes = n * CIFAR_RECORD_BYTES;
        const got = readSync(fd, chunk, 0, bytes, first * CIFAR_RECORD_BYTES);
        if (got !== bytes) {
          throw new DataError(`file ended early: read ${got} of ${bytes} bytes`, {
            file,
            offset: first * CIFAR_RECORD_BYTES + got,
          });
        }
        for (let r = 0; r < n; r++) {
          const base = r * CIFAR_RECORD_BYTES;
          const label = chunk[base] as number;
          checkLabel(label, file, first + r);
          if (keep !== null && !keep.has(label)) continue;
          labels[out] = label;
          // Planes (R..., G..., B...) to channels-last (RGB RGB ...), the layout tfjs convs use.
          const dst = out * PIXELS;
          for (let p = 0; p < PLANE; p++) {
            const o = dst + 3 * p;
            images[o] = chunk[base + 1 + p] as number;
            images[o + 1] = chunk[base + 1 + PLANE + p] as number;
            images[o + 2] = chunk[base + 1 + 2 * PLANE + p] as number;
          }
          out++;
        }
      }
    });
    return { images, labels, count: total };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
