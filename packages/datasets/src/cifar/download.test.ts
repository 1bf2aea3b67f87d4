import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DataError, DatasetMissingError } from '@iwlab/core';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCifarFile } from '../__tests__/cifar-fixtures.js';
import { tempDir } from '../__tests__/tmp.js';
import { loadCatDog } from './catdog.js';
import { CIFAR10_RECORD_FILES, downloadCifar10 } from './download.js';

const work = tempDir('dl');
let archive: Buffer;
let md5: string;
let server: Server;
let base: string;
/** Every request the server saw: its path and Range header. */
const requests: { url: string; range: string | undefined }[] = [];
/** When set, the next response stops after this many bytes (a dropped connection). */
let cutAfter: number | null = null;

beforeAll(async () => {
  // A small archive in the real layout: cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin.
  const src = path.join(work, 'src');
  mkdirSync(path.join(src, 'cifar-10-batches-bin'), { recursive: true });
  CIFAR10_RECORD_FILES.forEach((f, k) => {
    writeCifarFile(
      path.join(src, 'cifar-10-batches-bin', f),
      k === 5 ? [3, 5, 0, 1] : [3, 5, [0, 1, 2, 4, 6][k]!],
    );
  });
  writeFileSync(path.join(src, 'cifar-10-batches-bin', 'batches.meta.txt'), 'airplane\n');
  const file = path.join(work, 'cifar.tar.gz');
  await tar.c({ gzip: true, file, cwd: src, portable: true }, ['cifar-10-batches-bin']);
  archive = readFileSync(file);
  md5 = createHash('md5').update(archive).digest('hex');

  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    if (req.url !== '/cifar-10-binary.tar.gz') {
      res.writeHead(404).end();
      return;
    }
    const from = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const body = archive.subarray(from);
    res.writeHead(from > 0 ? 206 : 200, { 'content-length': body.length });
    if (cutAfter !== null) {
      const n = cutAfter;
      cutAfter = null;
      // Give the client time to store the first bytes before the connection drops.
      res.write(body.subarray(0, n), () => setTimeout(() => res.destroy(), 100));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function fresh(name: string): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  return dir;
}

describe('downloadCifar10 against a local server', () => {
  it('downloads, checks the checksum, extracts, and the files read as the cat/dog task', async () => {
    const dataDir = fresh('ok');
    const url = `${base}/cifar-10-binary.tar.gz`;
    const folder = await downloadCifar10({
      dataDir,
      url,
      checksum: { algorithm: 'md5', hex: md5 },
    });
    expect(folder).toBe(path.join(dataDir, 'cifar-10-batches-bin'));
    expect(readdirSync(folder).sort()).toEqual([...CIFAR10_RECORD_FILES].sort());
    // No archive, no .part, no staging folder left behind.
    expect(readdirSync(dataDir)).toEqual(['cifar-10-batches-bin']);
    const task = loadCatDog({ source: 'official', dataDir, noise: false });
    expect(task.train.y.length).toBe(10);
    expect(Array.from(task.evaluation.inDomain.y)).toEqual([0, 1]);
    expect(task.evaluation.outOfDomain!.y.length).toBe(2);
    // A second call finds the folder complete and does not touch the network.
    const before = requests.length;
    await downloadCifar10({ dataDir, url, checksum: { algorithm: 'md5', hex: md5 } });
    expect(requests.length).toBe(before);
  });

  it('never takes a half-written file as complete; the next call resumes it', async () => {
    const dataDir = fresh('cut');
    const url = `${base}/cifar-10-binary.tar.gz`;
    const checksum = { algorithm: 'md5', hex: md5 } as const;
    cutAfter = 1000;
    await expect(downloadCifar10({ dataDir, url, checksum })).rejects.toThrow(
      /connection lost.*resumes/,
    );
    expect(existsSync(path.join(dataDir, 'cifar-10-binary.tar.gz'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'cifar-10-batches-bin'))).toBe(false);
    expect(readFileSync(path.join(dataDir, 'cifar-10-binary.tar.gz.part')).length).toBeLessThan(
      archive.length,
    );
    await downloadCifar10({ dataDir, url, checksum });
    expect(existsSync(path.join(dataDir, 'cifar-10-batches-bin', 'test_batch.bin'))).toBe(true);
  });

  it('resumes a .part left by an earlier run with an HTTP Range request', async () => {
    const dataDir = fresh('resume');
    writeFileSync(path.join(dataDir, 'cifar-10-binary.tar.gz.part'), archive.subarray(0, 777));
    await downloadCifar10({
      dataDir,
      url: `${base}/cifar-10-binary.tar.gz`,
      checksum: { algorithm: 'md5', hex: md5 },
    });
    expect(requests.at(-1)?.range).toBe('bytes=777-');
    expect(readdirSync(path.join(dataDir, 'cifar-10-batches-bin')).length).toBe(6);
  });

  it('rejects a checksum mismatch and removes the bad bytes', async () => {
    const dataDir = fresh('badsum');
    const url = `${base}/cifar-10-binary.tar.gz`;
    const wrong = { algorithm: 'md5', hex: '0'.repeat(32) } as const;
    const attempt = downloadCifar10({ dataDir, url, checksum: wrong });
    await expect(attempt).rejects.toThrow(DataError);
    await expect(downloadCifar10({ dataDir, url, checksum: wrong })).rejects.toThrow(
      new RegExp(`md5 is ${md5}, expected 0{32}`),
    );
    expect(readdirSync(dataDir).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('uses an archive the user put in the data dir, without the network, after checking it', async () => {
    const dataDir = fresh('manual');
    const offlineUrl = 'http://127.0.0.1:9/never-contacted.tar.gz';
    const checksum = { algorithm: 'md5', hex: md5 } as const;
    writeFileSync(path.join(dataDir, 'cifar-10-binary.tar.gz'), archive);
    const before = requests.length;
    await downloadCifar10({ dataDir, url: offlineUrl, checksum, keepArchive: true });
    expect(requests.length).toBe(before);
    expect(readdirSync(path.join(dataDir, 'cifar-10-batches-bin')).length).toBe(6);
    const corrupt = fresh('manual-corrupt');
    writeFileSync(path.join(corrupt, 'cifar-10-binary.tar.gz'), archive.subarray(0, 100));
    await expect(downloadCifar10({ dataDir: corrupt, url: offlineUrl, checksum })).rejects.toThrow(
      /cifar-10-binary\.tar\.gz: file exists but its md5 is [0-9a-f]{32}, expected/,
    );
  });

  it('offline or HTTP errors say where to put the files', async () => {
    const dataDir = fresh('offline');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const attempt = downloadCifar10({ dataDir, url: `http://127.0.0.1:${port}/x.tar.gz` });
    await expect(attempt).rejects.toThrow(DatasetMissingError);
    await expect(
      downloadCifar10({ dataDir, url: `http://127.0.0.1:${port}/x.tar.gz` }),
    ).rejects.toThrow(/ECONNREFUSED.*put it at .*cifar-10-binary\.tar\.gz.*IWLAB_DATA_DIR/);
    await expect(downloadCifar10({ dataDir, url: `${base}/missing` })).rejects.toThrow(/HTTP 404/);
  });
});
