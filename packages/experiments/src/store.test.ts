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
const tempDb = () => join(mkdtempSync(join(tmpdir(), 'iwlab-store-')), 'runs.sqlite');

describe('RunStore', () => {
  it('stores a run with its spec, environment, epochs and artifacts, and reads them back after reopening', () => {
    const file = tempDb();
    const store = new RunStore(file);
    expect(store.beginRun(id, spec, { gitCommit: 'abc', versions: { x: '1' } })).toEqual({
      action: 'start',
    });
    store.recordEpoch(id, 0, 'train', { loss: 0.5, seconds: 1 });
    store.recordEpoch(id, 0, 'test', { accuracy: 0.75 });
    store.recordEpoch(id, 1, 'test', { accuracy: 0.8 });
    store.recordArtifact(id, 1, 'boundary', { p1: [0.1] });
    store.setInfo(id, { lr: 0.01 });
    store.finishRun(id, 'done', { seconds: 2.5 });
    store.close();

    const again = new RunStore(file);
    const run = again.getRun(id);
    expect(run).toMatchObject({
      id,
      seed: 1,
      status: 'done',
      attempts: 1,
      gitCommit: 'abc',
      versions: { x: '1' },
      info: { lr: 0.01 },
      seconds: 2.5,
      epochsCompleted: 2,
    });
    expect(run?.spec).toEqual(spec);
    expect(again.epochs(id)).toEqual([
      { epoch: 0, split: 'test', metrics: { accuracy: 0.75 } },
      { epoch: 0, split: 'train', metrics: { loss: 0.5, seconds: 1 } },
      { epoch: 1, split: 'test', metrics: { accuracy: 0.8 } },
    ]);
    expect(again.artifacts(id, 'boundary')).toEqual([
      { epoch: 1, name: 'boundary', value: { p1: [0.1] } },
    ]);
    again.close();
  });

  it('never overwrites: finished runs are skipped, stored epochs keep their numbers, results stay final', () => {
    const store = new RunStore(tempDb());
    store.beginRun(id, spec);
    store.recordEpoch(id, 0, 'test', { accuracy: 0.75 });
    // The same numbers again (a resumed run repeating an epoch) are accepted; other wall time too.
    store.recordEpoch(id, 0, 'test', { accuracy: 0.75 });
    store.recordEpoch(id, 0, 'train', { loss: 1, seconds: 3 });
    store.recordEpoch(id, 0, 'train', { loss: 1, seconds: 4 });
    expect(() => store.recordEpoch(id, 0, 'test', { accuracy: 0.5 })).toThrow(DataError);
    store.finishRun(id, 'done');
    expect(store.beginRun(id, spec)).toEqual({ action: 'skip', status: 'done' });
    expect(() => store.finishRun(id, 'failed')).toThrow(/'done', not 'running'/);
    expect(store.getRun(id)?.status).toBe('done');
    expect(store.epochs(id).find((e) => e.split === 'test')?.metrics).toEqual({ accuracy: 0.75 });
    store.close();
  });

  it('resumes interrupted and failed runs, counting attempts', () => {
    const store = new RunStore(tempDb());
    store.beginRun(id, spec);
    // The process died: the row still says 'running'.
    expect(store.beginRun(id, spec)).toEqual({
      action: 'resume',
      previous: 'running',
      attempts: 2,
    });
    store.finishRun(id, 'failed', { error: 'boom', seconds: 1 });
    expect(store.getRun(id)).toMatchObject({ status: 'failed', error: 'boom' });
    expect(store.beginRun(id, spec)).toEqual({ action: 'resume', previous: 'failed', attempts: 3 });
    store.finishRun(id, 'done', { seconds: 2 });
    expect(store.getRun(id)).toMatchObject({
      status: 'done',
      error: null,
      seconds: 3,
      attempts: 3,
    });
    store.close();
  });

  it('refuses to bind an id to a different spec', () => {
    const store = new RunStore(tempDb());
    store.beginRun(id, spec);
    expect(() => store.beginRun(id, resolveSpec(tinySpec({ seed: 9 })))).toThrow(SpecError);
    store.close();
  });
});
