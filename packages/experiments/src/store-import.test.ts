import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, SpecError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { tinySpec } from './__tests__/specs.js';
import { resolveSpec, runId } from './spec.js';
import { RunStore } from './store.js';

const spec = resolveSpec(tinySpec());
const id = runId(spec);
const tempDb = () => join(mkdtempSync(join(tmpdir(), 'iwlab-import-')), 'runs.sqlite');

/** A store on "another machine" holding a run with two epochs and an artifact. */
function remoteStore(finish: boolean): RunStore {
  const remote = new RunStore(':memory:');
  remote.beginRun(id, spec, { gitCommit: 'abc', versions: { x: '1' } });
  remote.setInfo(id, { lr: 0.1 });
  remote.recordArtifact(id, -1, 'points', { x: [1, 2] });
  remote.recordEpoch(id, 0, 'train', { loss: 0.5, seconds: 1 });
  remote.recordEpoch(id, 0, 'test', { accuracy: 0.75 });
  remote.recordEpoch(id, 1, 'train', { loss: 0.4, seconds: 1 });
  remote.recordArtifact(id, 1, 'boundary', { p1: [0.2] });
  if (finish) remote.finishRun(id, 'done', { seconds: 3 });
  return remote;
}

describe('RunStore.exportRun / importRun', () => {
  it('moves a whole run, with its provenance, epochs and artifacts, into another store', () => {
    const remote = remoteStore(true);
    const record = remote.exportRun(id);
    expect(record).not.toBeNull();
    if (record === null) return;
    const local = new RunStore(tempDb());
    expect(local.importRun(record)).toEqual({ action: 'inserted', epochs: 3 });
    expect(local.getRun(id)).toMatchObject({
      status: 'done',
      attempts: 1,
      gitCommit: 'abc',
      versions: { x: '1' },
      info: { lr: 0.1 },
      seconds: 3,
      epochsCompleted: 2,
      startedAt: record.run.startedAt,
      finishedAt: record.run.finishedAt,
    });
    expect(local.epochs(id)).toEqual(remote.epochs(id));
    expect(local.artifacts(id)).toEqual(remote.artifacts(id));
    expect(local.exportRun('nope')).toBeNull();
  });

  it('exports only what changed from an epoch on, and merges such pieces one after another', () => {
    const remote = remoteStore(false);
    const local = new RunStore(':memory:');
    const first = remote.exportRun(id, { fromEpoch: 0 });
    expect(first?.artifacts.map((a) => a.name)).toEqual(['boundary']);
    const later = remote.exportRun(id, { fromEpoch: 1 });
    expect(later?.epochs).toEqual([
      { epoch: 1, split: 'train', metrics: { loss: 0.4, seconds: 1 } },
    ]);
    if (later === null || first === null) return;
    // Pieces may arrive late or twice: the same rows again change nothing.
    expect(local.importRun(later)).toEqual({ action: 'inserted', epochs: 1 });
    expect(local.importRun(first)).toEqual({ action: 'updated', epochs: 2 });
    expect(local.importRun(first)).toEqual({ action: 'updated', epochs: 0 });
    expect(local.getRun(id)).toMatchObject({ status: 'running', epochsCompleted: 2 });
    expect(local.epochs(id)).toEqual(remote.epochs(id));
  });

  it('keeps a run that is finished here, whatever the record says', () => {
    const local = new RunStore(':memory:');
    local.beginRun(id, spec);
    local.recordEpoch(id, 0, 'train', { loss: 9, seconds: 1 });
    local.finishRun(id, 'diverged', { error: 'non-finite loss' });
    const record = remoteStore(true).exportRun(id);
    if (record === null) throw new Error('no record');
    expect(local.importRun(record)).toEqual({ action: 'kept', status: 'diverged' });
    expect(local.epochs(id)).toEqual([
      { epoch: 0, split: 'train', metrics: { loss: 9, seconds: 1 } },
    ]);
  });

  it('refuses different numbers for a stored epoch and leaves everything stored as it was', () => {
    const local = new RunStore(':memory:');
    local.beginRun(id, spec);
    local.recordEpoch(id, 1, 'train', { loss: 0.45, seconds: 1 });
    const record = remoteStore(true).exportRun(id);
    if (record === null) throw new Error('no record');
    expect(() => local.importRun(record)).toThrow(DataError);
    expect(() => local.importRun(record)).toThrow(
      /run [0-9a-f]+ already has different train metrics/,
    );
    // The transaction rolled back: no epoch 0, no artifacts, still 'running'.
    expect(local.epochs(id)).toEqual([
      { epoch: 1, split: 'train', metrics: { loss: 0.45, seconds: 1 } },
    ]);
    expect(local.artifacts(id)).toEqual([]);
    expect(local.getRun(id)?.status).toBe('running');
  });

  it('refuses a record whose spec differs from the one stored under its id', () => {
    const local = new RunStore(':memory:');
    local.beginRun(id, spec);
    const record = remoteStore(true).exportRun(id);
    if (record === null) throw new Error('no record');
    const other = { ...record, run: { ...record.run, spec: { ...spec, epochs: 99 } } };
    expect(() => local.importRun(other)).toThrow(SpecError);
  });

  it('takes the larger attempt count and judges freshness by its own clock', () => {
    const local = new RunStore(':memory:');
    local.beginRun(id, spec);
    local.finishRun(id, 'failed', { error: 'boom' });
    local.beginRun(id, spec);
    local.finishRun(id, 'failed', { error: 'boom' });
    const record = remoteStore(false).exportRun(id);
    if (record === null) throw new Error('no record');
    const old = '2000-01-01T00:00:00.000Z';
    const before = Date.now();
    local.importRun({ ...record, run: { ...record.run, updatedAt: old } });
    const run = local.getRun(id);
    expect(run).toMatchObject({ status: 'running', attempts: 2, error: null });
    expect(Date.parse(run?.updatedAt ?? old)).toBeGreaterThanOrEqual(before - 5);
  });
});
