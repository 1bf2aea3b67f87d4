import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposedAfterEach } from './__tests__/disposable-models.js';
import {
  decodeWeights,
  encodeWeights,
  loadModel,
  loadWeights,
  saveWeights,
  type ZooModel,
  type ZooSpec,
} from './index.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'iwlab-models-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const make = disposedAfterEach();

const spec: ZooSpec = {
  kind: 'small-cnn',
  inputShape: [8, 8, 3],
  numClasses: 2,
  seed: 1,
  batchNorm: true,
  dropout: 0.5,
};

function values(m: ZooModel): number[][] {
  const ws = m.getWeights();
  const v = ws.map((w) => Array.from(w.dataSync()));
  tf.dispose(ws);
  return v;
}

async function trainedModel(): Promise<ZooModel> {
  const m = make(spec);
  // One step of plain SGD in training mode moves the weights and the BN moving statistics.
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 3);
  tf.train
    .sgd(0.1)
    .minimize(() => tf.mean(tf.square(m.apply(x, true))) as tf.Scalar, false, [
      ...m.trainableVariables,
    ]);
  x.dispose();
  return m;
}

describe('weights files', () => {
  it('round-trips every weight (BN moving statistics too) and the dropout clock', async () => {
    const m = await trainedModel();
    const path = join(dir, 'a.iww');
    await saveWeights(m, path);
    const fresh = make({ ...spec, seed: 2 });
    expect(values(fresh)).not.toEqual(values(m));
    await loadWeights(fresh, path);
    expect(values(fresh)).toEqual(values(m));
    expect(fresh.dropoutStep).toBe(1);
    const restored = make.keep(await loadModel(path));
    expect(restored.spec).toEqual(m.spec);
    expect(values(restored)).toEqual(values(m));
    // Only the final file is left: the temporary file was renamed over it.
    expect((await readdir(dir)).filter((f) => f.startsWith('a.iww'))).toEqual(['a.iww']);
  });

  it('replaces an existing checkpoint only once the new one is complete', async () => {
    const m = await trainedModel();
    const path = join(dir, 'b.iww');
    await writeFile(path, 'old checkpoint');
    await saveWeights(m, path);
    expect(decodeWeights(new Uint8Array(await readFile(path)), path).weights.size).toBe(
      m.weightNames.length,
    );
  });

  it('names the file and byte offset of a bad magic number or a truncated file', async () => {
    const m = make(spec);
    const bytes = await encodeWeights(m);
    const bad = bytes.slice();
    bad[0] = 0x58;
    expect(() => decodeWeights(bad, 'x.iww')).toThrow(DataError);
    expect(() => decodeWeights(bad, 'x.iww')).toThrow(/^x\.iww, byte 0: not an iwlab weights file/);
    const truncated = bytes.slice(0, bytes.byteLength - 10);
    expect(() => decodeWeights(truncated, 't.iww')).toThrow(
      /^t\.iww, byte \d+, field weights\[\d+\]: [\w/]+: data runs to byte \d+ but the file has \d+ bytes \(truncated\?\)/,
    );
    expect(() => decodeWeights(bytes.slice(0, 5), 's.iww')).toThrow(/too short/);
  });

  it('refuses weights of another architecture, naming the weight, before writing anything', async () => {
    const path = join(dir, 'c.iww');
    await saveWeights(make(spec), path);
    const other = make({ ...spec, batchNorm: false });
    const before = values(other);
    await expect(loadWeights(other, path)).rejects.toThrow(
      /c\.iww, field weights\.conv1\/bias: the file has no weight/,
    );
    expect(values(other)).toEqual(before);
    const mlp = make({ kind: 'mlp', inputShape: [2], numClasses: 2, seed: 1 });
    await expect(loadWeights(mlp, path)).rejects.toThrow(
      /holds a small-cnn model, the target is mlp/,
    );
  });

  it('reports a missing file as a DataError naming it', async () => {
    await expect(loadModel(join(dir, 'nope.iww'))).rejects.toThrow(
      /nope\.iww: cannot read weights file/,
    );
  });

  it('setWeights checks shapes and counts', () => {
    const m = make({ kind: 'mlp', inputShape: [2], numClasses: 2, seed: 1, hidden: [3] });
    expect(() => m.setWeights([])).toThrow(SpecError);
    const ws = m.getWeights();
    const wrong = [tf.zeros([3, 2]), ...ws.slice(1)];
    expect(() => m.setWeights(wrong)).toThrow(
      /field weights\.dense1\/kernel: expected shape \[2, 3\], got \[3, 2\]/,
    );
    tf.dispose([...ws, ...wrong]);
  });
});
