// One file over HTTP(S) with a checksum, resumable and atomic: bytes go to <dest>.part, a cut
// connection leaves the .part for the next call to resume (HTTP Range), and only a file whose
// checksum matches is renamed to <dest>. So a file at <dest> is always complete.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DataError, DatasetMissingError } from '@iwlab/core';

export interface Checksum {
  readonly algorithm: 'md5' | 'sha256';
  readonly hex: string;
}

export interface DownloadFileOptions {
  readonly url: string;
  readonly dest: string;
  readonly checksum: Checksum;
  /** What to tell the user when the download cannot be made (offline, HTTP error). */
  readonly howToGetOffline: string;
  /** Injected for tests and proxies; default the global fetch. */
  readonly fetch?: typeof fetch;
  readonly onProgress?: (receivedBytes: number, totalBytes: number | null) => void;
}

export async function hashFile(file: string, algorithm: Checksum['algorithm']): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

export async function downloadFile(options: DownloadFileOptions): Promise<string> {
  const { url, dest, checksum } = options;
  const expected = checksum.hex.toLowerCase();
  if (existsSync(dest)) {
    const got = await hashFile(dest, checksum.algorithm);
    if (got === expected) return dest;
    throw new DataError(
      `file exists but its ${checksum.algorithm} is ${got}, expected ${expected}; delete it to download again`,
      { file: dest },
    );
  }
  mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const offline = (reason: string, cause?: unknown) =>
    new DatasetMissingError(
      `could not download ${url} (${reason}). ${options.howToGetOffline}`,
      { file: dest },
      cause === undefined ? undefined : { cause },
    );

  const resumeFrom = sizeOf(part);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: resumeFrom > 0 ? { Range: `bytes=${resumeFrom}-` } : {},
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw offline(cause?.code ?? cause?.message ?? (err as Error).message, err);
  }
  // 416: the .part already holds every byte (a previous run stopped before the rename).
  if (response.status !== 416) {
    if (!response.ok || response.body === null) {
      throw offline(`HTTP ${response.status} ${response.statusText}`);
    }
    const append = resumeFrom > 0 && response.status === 206;
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    const total = Number.isFinite(length) ? length + (append ? resumeFrom : 0) : null;
    let received = append ? resumeFrom : 0;
    // Each chunk is on disk before the next is read, so a dropped connection loses nothing
    // already received and the next call can resume right after it.
    const handle = await open(part, append ? 'a' : 'w');
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        await handle.write(chunk);
        received += chunk.length;
        options.onProgress?.(received, total);
      }
    } catch (err) {
      throw offline(
        `connection lost after ${received} bytes; ${part} is kept and the next call resumes it`,
        err,
      );
    } finally {
      await handle.close();
    }
  }
  const got = await hashFile(part, checksum.algorithm);
  if (got !== expected) {
    rmSync(part, { force: true });
    throw new DataError(
      `downloaded ${url} but its ${checksum.algorithm} is ${got}, expected ${expected}; ` +
        'the partial file was removed, try again',
      { file: dest },
    );
  }
  renameSync(part, dest);
  return dest;
}
