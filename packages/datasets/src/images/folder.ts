// Image folders laid out as <root>/<class>/<file>.jpg|png (e.g. the JPEG copy of CIFAR-10).
// Decoding is pure JS (jpeg-js, fast-png) so it works wherever Node does; the result is the same
// uint8 NHWC layout as the binary reader.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataError, DatasetMissingError, SpecError } from '@iwlab/core';
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import type { ImageData } from '../dataset.js';

export interface ImageFolderOptions {
  /** Class folder names in label order (default: every sub-folder, sorted). */
  readonly classes?: readonly string[];
  /** Read at most this many files per class (the first ones by name), e.g. for quick checks. */
  readonly maxPerClass?: number;
  /** What to tell the user when the folder is missing. */
  readonly howToGet?: string;
}

interface Rgb {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}

function toRgb(
  width: number,
  height: number,
  data: ArrayLike<number>,
  channels: number,
  shift: number,
): Rgb {
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      // Gray (1-2 channels) is copied to R, G and B; alpha is dropped.
      const src = channels < 3 ? p * channels : p * channels + c;
      rgb[3 * p + c] = (data[src] as number) >> shift;
    }
  }
  return { width, height, rgb };
}

function decode(file: string): Rgb {
  const bytes = readFileSync(file);
  const ext = path.extname(file).toLowerCase();
  try {
    if (ext === '.png') {
      const png = decodePng(bytes);
      if (png.palette !== undefined) {
        return toRgb(png.width, png.height, convertIndexedToRgb(png), png.transparency ? 4 : 3, 0);
      }
      return toRgb(png.width, png.height, png.data, png.channels, png.depth === 16 ? 8 : 0);
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
    return toRgb(img.width, img.height, img.data, 3, 0);
  } catch (err) {
    throw new DataError(
      `cannot decode ${ext === '.png' ? 'PNG' : 'JPEG'} image (${(err as Error).message})`,
      { file },
      { cause: err },
    );
  }
}

const IMAGE_FILE = /\.(jpe?g|png)$/i;

/** Reads every image under <root>/<class>/, class by class, files sorted by name. */
export function readImageFolder(root: string, options: ImageFolderOptions = {}): ImageData {
  const howToGet = options.howToGet ?? 'Point the reader at a folder of <class>/<image> files.';
  let classes: readonly string[];
  try {
    classes =
      options.classes ??
      readdirSync(root)
        .filter((name) => statSync(path.join(root, name)).isDirectory())
        .sort();
  } catch (err) {
    throw new DatasetMissingError(
      `image folder not found. ${howToGet}`,
      { file: root },
      { cause: err },
    );
  }
  if (classes.length === 0) {
    throw new DataError('no class sub-folders; expected <root>/<class>/<image>', { file: root });
  }
  const files: { file: string; label: number }[] = [];
  classes.forEach((name, label) => {
    const dir = path.join(root, name);
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((f) => IMAGE_FILE.test(f))
        .sort();
    } catch (err) {
      throw new DatasetMissingError(
        `class folder "${name}" not found. ${howToGet}`,
        { file: dir },
        {
          cause: err,
        },
      );
    }
    if (names.length === 0) {
      throw new DataError('class folder holds no .jpg, .jpeg or .png files', { file: dir });
    }
    const limit = options.maxPerClass ?? names.length;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new SpecError(`maxPerClass is ${limit}; expected an integer >= 1`, {
        field: 'maxPerClass',
      });
    }
    for (const f of names.slice(0, limit)) files.push({ file: path.join(dir, f), label });
  });
  let shape: [number, number] | null = null;
  let x = new Uint8Array(0);
  const y = new Int32Array(files.length);
  for (const [i, { file, label }] of files.entries()) {
    const img = decode(file);
    if (shape === null) {
      shape = [img.height, img.width];
      x = new Uint8Array(files.length * img.height * img.width * 3);
    } else if (img.height !== shape[0] || img.width !== shape[1]) {
      throw new DataError(
        `image is ${img.width}x${img.height}; expected ${shape[1]}x${shape[0]} like the first image`,
        { file },
      );
    }
    x.set(img.rgb, i * img.rgb.length);
    y[i] = label;
  }
  const [h, w] = shape ?? [0, 0];
  return {
    x,
    exampleShape: [h, w, 3],
    y,
    numClasses: classes.length,
    classNames: [...classes],
    source: root,
  };
}
