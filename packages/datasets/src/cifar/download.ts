// The official CIFAR-10 binary archive into <data dir>/cifar-10-batches-bin. The folder appears
// in one rename after the archive's checksum matched and every record file was extracted, so its
// presence means "complete" and a second call costs nothing.
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '@iwlab/core';
import * as tar from 'tar';
import { type Checksum, downloadFile } from '../internal/download.js';
import { resolveDataDir } from '../internal/io.js';
import { CIFAR_RECORD_BYTES } from './records.js';

export const CIFAR10_BINARY_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** MD5 published on the CIFAR-10 page for the binary version (170,052,171 bytes). */
export const CIFAR10_BINARY_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
export const CIFAR10_RECORD_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
  'test_batch.bin',
] as const;

export interface DownloadCifarOptions {
  /** Default: IWLAB_DATA_DIR, else the per-user cache directory. */
  readonly dataDir?: string;
  readonly url?: string;
  readonly checksum?: Checksum;
  /** Keep the .tar.gz after extracting (default false: it would double the disk use). */
  readonly keepArchive?: boolean;
  readonly fetch?: typeof fetch;
  readonly onProgress?: (receivedBytes: number, totalBytes: number | null) => void;
}

function complete(folder: string): boolean {
  return CIFAR10_RECORD_FILES.every((f) => existsSync(path.join(folder, f)));
}

/**
 * Makes sure the official CIFAR-10 binary files are in <data dir>/cifar-10-batches-bin and
 * returns that folder. Offline, it fails with a DatasetMissingError that says where to put the
 * archive or the extracted folder.
 */
export async function downloadCifar10(options: DownloadCifarOptions = {}): Promise<string> {
  const dataDir = resolveDataDir(options.dataDir);
  const folder = path.join(dataDir, CIFAR10_FOLDER);
  if (complete(folder)) return folder;
  if (existsSync(folder)) {
    throw new DataError(
      `folder exists but lacks some of ${CIFAR10_RECORD_FILES.join(', ')}; remove it to download again`,
      { file: folder },
    );
  }
  const archive = path.join(dataDir, CIFAR10_ARCHIVE);
  const checksum = options.checksum ?? { algorithm: 'md5', hex: CIFAR10_BINARY_MD5 };
  await downloadFile({
    url: options.url ?? CIFAR10_BINARY_URL,
    dest: archive,
    checksum,
    howToGetOffline:
      `On a machine without network, get ${CIFAR10_ARCHIVE} (${checksum.algorithm} ${checksum.hex}) ` +
      `from ${CIFAR10_BINARY_URL} elsewhere and put it at ${archive}, or put the extracted ` +
      `${CIFAR10_FOLDER}/ folder in ${dataDir}. Choose the folder with the dataDir option or IWLAB_DATA_DIR.`,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  const staging = mkdtempSync(path.join(dataDir, '.cifar10-extract-'));
  try {
    const wanted = new Set(CIFAR10_RECORD_FILES.map((f) => `${CIFAR10_FOLDER}/${f}`));
    // Only the known record files are extracted: no path in the archive can escape staging.
    await tar.x({
      file: archive,
      cwd: staging,
      strict: true,
      filter: (p) => wanted.has(p.replace(/^\.\//, '')),
    });
    const extracted = path.join(staging, CIFAR10_FOLDER);
    for (const f of CIFAR10_RECORD_FILES) {
      const file = path.join(extracted, f);
      if (!existsSync(file)) {
        throw new DataError(`archive has no ${CIFAR10_FOLDER}/${f}`, { file: archive });
      }
      const size = statSync(file).size;
      if (size === 0 || size % CIFAR_RECORD_BYTES !== 0) {
        throw new DataError(
          `${CIFAR10_FOLDER}/${f} in the archive has ${size} bytes, not a whole number of ${CIFAR_RECORD_BYTES}-byte records`,
          { file: archive },
        );
      }
    }
    renameSync(extracted, folder);
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(
      `cannot extract the archive (${(err as Error).message})`,
      { file: archive },
      {
        cause: err,
      },
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (options.keepArchive !== true) rmSync(archive, { force: true });
  return folder;
}
