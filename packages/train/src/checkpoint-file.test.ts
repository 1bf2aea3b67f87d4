import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function written(): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'iwlab-ckpt-'));
  const path = join(dir, 'c.iwckpt');
  await writeCheckpointFile(path, { epoch: 3, nan: Number.NaN, inf: -Infinity }, [
    [
      'a',
      tf.tensor2d([
        [1.5, -2],
        [3, 4],
      ]),
    ],
    ['b', tf.tensor1d([7, -8], 'int32')],
    ['c', tf.tensor1d([true, false, true], 'bool')],
  ]);
  return { dir, path };
}

describe('checkpoint file', () => {
  it('round-trips tensors exactly and keeps NaN/Infinity in the metadata', async () => {
    const { dir, path } = await written();
    const { meta, tensors } = await readCheckpointFile<Record<string, number>>(path);
    expect(meta).toEqual({ epoch: 3, nan: Number.NaN, inf: -Infinity });
    expect(tensors.get('a')?.shape).toEqual([2, 2]);
    expect(Array.from(await (tensors.get('a') as tf.Tensor).data())).toEqual([1.5, -2, 3, 4]);
    expect(tensors.get('b')?.dtype).toBe('int32');
    expect(Array.from(await (tensors.get('b') as tf.Tensor).data())).toEqual([7, -8]);
    expect(Array.from(await (tensors.get('c') as tf.Tensor).data())).toEqual([1, 0, 1]);
    // The temporary file was renamed away: only the checkpoint remains.
    expect(await readdir(dir)).toEqual(['c.iwckpt']);
  });

  it('names the file and byte offset of a truncated checkpoint', async () => {
    const { path } = await written();
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.byteLength - 3));
    await expect(readCheckpointFile(path)).rejects.toThrow(DataError);
    await expect(readCheckpointFile(path)).rejects.toThrow(/c\.iwckpt.*byte 12.*truncated/);
    await writeFile(path, bytes.subarray(0, 20));
    await expect(readCheckpointFile(path)).rejects.toThrow(/byte 8.*truncated/);
  });

  it('refuses a file that is not a checkpoint', async () => {
    const { path } = await written();
    await writeFile(path, 'hello world, not a checkpoint');
    await expect(readCheckpointFile(path)).rejects.toThrow(/byte 0.*magic/);
  });

  it('leaves the previous checkpoint intact when a write fails', async () => {
    const { dir, path } = await written();
    const bad = tf.complex([1], [2]);
    await expect(writeCheckpointFile(path, { epoch: 4 }, [['z', bad]])).rejects.toThrow(
      /complex64/,
    );
    expect((await readCheckpointFile<{ epoch: number }>(path)).meta.epoch).toBe(3);
    expect(await readdir(dir)).toEqual(['c.iwckpt']);
  });
});
