// File access shared by the loaders: one place that turns "file not there" into a message that
// says how to get the data, and "not gzip" into a message that names the bytes it found.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError, DatasetMissingError } from '@iwlab/core';
import envPaths from 'env-paths';

/**
 * Where data sets live: the explicit option, else `IWLAB_DATA_DIR`, else the per-user cache
 * directory of the platform (XDG on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows).
 */
export function resolveDataDir(dataDir?: string): string {
  if (dataDir !== undefined && dataDir !== '') return path.resolve(dataDir);
  const fromEnv = process.env['IWLAB_DATA_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return envPaths('iwlab', { suffix: '' }).cache;
}

/** Throws DatasetMissingError naming the file and how to get it, when `file` does not exist. */
export function requireFile(file: string, howToGet: string): void {
  if (!existsSync(file)) {
    throw new DatasetMissingError(`file not found. ${howToGet}`, { file });
  }
}

export function readRequiredFile(file: string, howToGet: string): Buffer {
  requireFile(file, howToGet);
  return readFileSync(file);
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * Gunzips `bytes` when they are gzip. A file named *.gz that is not gzip is an error (a renamed
 * or half-downloaded file), reported with the bytes found at offset 0.
 */
export function maybeGunzip(bytes: Buffer, file: string): Buffer {
  const named = file.endsWith('.gz');
  if (!isGzip(bytes)) {
    if (!named) return bytes;
    const found = Array.from(bytes.subarray(0, 2), (b) => b.toString(16).padStart(2, '0')).join(
      ' ',
    );
    throw new DataError(
      `wrong gzip magic number: expected 1f 8b, found ${found || '(empty file)'}`,
      { file, offset: 0 },
    );
  }
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new DataError(
      `corrupt or truncated gzip data (${(err as Error).message})`,
      { file },
      {
        cause: err,
      },
    );
  }
}

/** Reads a text file (gzipped or not) as UTF-8 lines, without line ends. */
export function readTextLines(file: string, howToGet: string): string[] {
  const text = maybeGunzip(readRequiredFile(file, howToGet), file).toString('utf8');
  return text.split(/\r?\n/);
}
