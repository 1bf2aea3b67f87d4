// @iwlab/experiments' TrialPool against its built child worker: runs in child processes give the
// same stored numbers as runs in this process, children of two backends share the pool, an
// interrupted run resumes to the same numbers, and a child that dies mid-run gives a 'failed'
// outcome while the pool goes on.
import { getEventListeners } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ExperimentSpec,
  RunStore,
  resolveSpec,
  runExperiment,
  runId,
  TrialPool,
} from '@iwlab/experiments';
import { describe, expect, it } from 'vitest';
import { epochNumbers as numbers } from './helpers.js';

const spec = (seed: number, backend: ExperimentSpec['backend'] = 'cpu', epochs = 4) =>
  resolveSpec({
    data: { kind: 'synthetic', generator: 'separable-gaussians', trainSize: 64, testSize: 32 },
    weights: { kind: 'ratio', ratio: 4 },
    model: { kind: 'mlp', hidden: [8] },
    reduction: 'mean',
    optimizer: { kind: 'sgd', lr: 0.1 },
    epochs,
    batchSize: 8,
    seed,
    backend,
  });

const tempDir = () => mkdtempSync(join(tmpdir(), 'iwlab-pool-'));

describe('TrialPool', () => {
  it('runs trials in children, two at a time, with the numbers of a run in this process', async () => {
    const dir = tempDir();
    const pool = new TrialPool({ size: 2 });
    const specs = [spec(1), spec(2), spec(3, 'wasm')];
    const epochs: string[] = [];
    // One signal for every run, as a sweep passes it.
    const shared = new AbortController();
    const outcomes = await Promise.all(
      specs.map((s) =>
        pool.run(
          { id: runId(s), spec: s, db: join(dir, 'runs.sqlite'), checkpointDir: join(dir, 'ckpt') },
          { onEpoch: (e) => epochs.push(`${e.id}:${e.epoch}`), signal: shared.signal },
        ),
      ),
    );
    await pool.close();
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done']);
    // Each run's abort listener went with the run.
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(epochs).toHaveLength(12);

    const pooled = new RunStore(join(dir, 'runs.sqlite'));
    expect(pooled.getRun(runId(specs[2] as ExperimentSpec))?.backend?.name).toBe('wasm');
    const inline = new RunStore(':memory:');
    // This process runs the cpu backend only (one backend per process): compare the cpu runs.
    for (const s of specs.slice(0, 2)) {
      await runExperiment(s, { store: inline, checkpointDir: join(dir, 'inline') });
      expect(numbers(pooled, runId(s))).toEqual(numbers(inline, runId(s)));
    }
    pooled.close();
  });

  it('stops a run on its signal; the run stays unfinished and resumes to the same numbers', async () => {
    const dir = tempDir();
    const db = join(dir, 'runs.sqlite');
    const long = spec(4, 'cpu', 40);
    const id = runId(long);
    const request = { id, spec: long, db, checkpointDir: join(dir, 'ckpt') };
    const pool = new TrialPool({ size: 1 });
    const controller = new AbortController();
    const first = await pool.run(request, {
      signal: controller.signal,
      onEpoch: (e) => {
        if (e.epoch === 2) controller.abort();
      },
    });
    expect(first.status).toBe('aborted');
    const store = new RunStore(db);
    expect(store.getRun(id)?.status).toBe('running');
    // The interrupted child is retired; the next run gets a fresh one.
    const second = await pool.run(request);
    await pool.close();
    expect(second).toMatchObject({ status: 'done', resumed: true, epochsCompleted: 40 });

    const reference = new RunStore(':memory:');
    await runExperiment(long, { store: reference, checkpointDir: join(dir, 'reference') });
    expect(numbers(store, id)).toEqual(numbers(reference, id));
    store.close();
  });

  it('ends a waiting run at once when its signal fires, without starting it', async () => {
    const dir = tempDir();
    const db = join(dir, 'runs.sqlite');
    const pool = new TrialPool({ size: 1 });
    const busy = spec(7, 'cpu', 40);
    const queued = spec(8);
    const running = pool.run({ id: runId(busy), spec: busy, db, checkpointDir: join(dir, 'c') });
    const controller = new AbortController();
    const waiting = pool.run(
      { id: runId(queued), spec: queued, db, checkpointDir: join(dir, 'c') },
      { signal: controller.signal },
    );
    controller.abort();
    expect(await waiting).toMatchObject({ status: 'aborted', epochsCompleted: 0 });
    expect((await running).status).toBe('done');
    await pool.close();
    const store = new RunStore(db);
    expect(store.getRun(runId(queued))).toBeNull();
    store.close();
  });

  it("gives 'failed' for a run whose child dies, and serves the next run with a fresh child", async () => {
    const dir = tempDir();
    const db = join(dir, 'runs.sqlite');
    const pool = new TrialPool({ size: 1 });
    const doomed = spec(5, 'cpu', 200);
    const victim = pool.run(
      { id: runId(doomed), spec: doomed, db, checkpointDir: join(dir, 'ckpt') },
      {
        onEpoch: (e) => {
          // The child's pid is not exposed: find it among this process's children.
          if (e.epoch === 1) process.kill(childPids().at(-1) as number, 'SIGKILL');
        },
      },
    );
    const outcome = await victim;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/worker process exited \(SIGKILL\)/);
    const next = spec(6);
    const after = await pool.run({
      id: runId(next),
      spec: next,
      db,
      checkpointDir: join(dir, 'ckpt'),
    });
    await pool.close();
    expect(after.status).toBe('done');
  });
});

/** Pids of this process's child processes (Linux /proc). */
function childPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
