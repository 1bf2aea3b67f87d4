import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, SpecError } from '@iwlab/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tinySpec } from './__tests__/specs.js';
import { canonicalJson } from './internal/canonical.js';
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

  it('dates every change of a run (start, epoch, end) so a stopped one can be told apart', async () => {
    const store = new RunStore(':memory:');
    store.beginRun(id, spec);
    const started = store.getRun(id)?.updatedAt as string;
    expect(started).toBe(store.getRun(id)?.startedAt);
    await new Promise((r) => setTimeout(r, 5));
    store.recordEpoch(id, 0, 'train', { loss: 1 });
    const afterEpoch = store.getRun(id)?.updatedAt as string;
    expect(Date.parse(afterEpoch)).toBeGreaterThan(Date.parse(started));
    await new Promise((r) => setTimeout(r, 5));
    store.finishRun(id, 'done');
    expect(store.getRun(id)?.updatedAt).toBe(store.getRun(id)?.finishedAt);
    store.close();
  });

  it('upgrades a version-1 store in place, keeping every result, and refuses unknown versions', () => {
    const file = tempDb();
    // The version-1 layout of the runs table, as iwlab 0.1 wrote it.
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE runs (id TEXT PRIMARY KEY, spec TEXT NOT NULL, seed INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'diverged', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 1, backend TEXT, versions TEXT, git_commit TEXT, info TEXT,
        created_at TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, seconds REAL,
        epochs_completed INTEGER NOT NULL DEFAULT 0, error TEXT);
      INSERT INTO meta VALUES ('schema', '1');`);
    old
      .prepare(
        `INSERT INTO runs (id, spec, seed, status, created_at, started_at)
         VALUES (?, ?, ?, 'running', ?, ?)`,
      )
      .run(
        id,
        canonicalJson(spec),
        spec.seed,
        '2026-01-02T03:04:05.000Z',
        '2026-01-02T03:04:05.000Z',
      );
    old.close();

    const upgraded = new RunStore(file);
    expect(upgraded.getMeta('schema')).toBe(2);
    expect(upgraded.getRun(id)).toMatchObject({
      status: 'running',
      updatedAt: '2026-01-02T03:04:05.000Z',
    });
    upgraded.recordEpoch(id, 0, 'train', { loss: 1 });
    expect(upgraded.epochs(id)).toHaveLength(1);
    // The last epochs only: a live view's read.
    for (let e = 1; e < 30; e++) {
      upgraded.recordEpoch(id, e, 'train', { loss: 1 / e });
      upgraded.recordEpoch(id, e, 'test', { accuracy: 0.5 });
    }
    expect(upgraded.epochs(id, { last: 3 }).map((r) => `${r.epoch}/${r.split}`)).toEqual([
      '27/test',
      '27/train',
      '28/test',
      '28/train',
      '29/test',
      '29/train',
    ]);
    expect(upgraded.epochs('nope', { last: 3 })).toEqual([]);
    upgraded.close();

    const future = new Database(file);
    future.exec("UPDATE meta SET value = '3' WHERE key = 'schema'");
    future.close();
    expect(() => new RunStore(file)).toThrow(/schema version 3; this iwlab reads versions 1 and 2/);
  });
});
