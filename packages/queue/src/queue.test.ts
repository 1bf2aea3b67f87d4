import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GridPoint, RunStore, runSweep, type SweepEvent } from '@iwlab/experiments';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { point } from './__tests__/specs.js';
import { KEY_PREFIX } from './connection.js';
import { jobIdOf } from './protocol.js';
import { runQueuedSweep } from './sweep.js';
import { type RedisServer, redisServerForTests, startRedisServer } from './testing/index.js';
import { type QueueWorker, startQueueWorker } from './worker.js';

const redisBinary = redisServerForTests('queue tests');

const tempDir = () => mkdtempSync(join(tmpdir(), 'iwlab-queue-'));
let redis: RedisServer;
let queueNumber = 0;
/** Each test its own queue name, so one test's jobs never reach another's workers. */
const freshQueue = () => ({ url: redis.url, name: `test-${process.pid}-${queueNumber++}` });

/** Epoch rows without wall time: what two runs of one spec must share. */
function numbers(store: RunStore, id: string) {
  return store.epochs(id).map(({ epoch, split, metrics }) => {
    const { seconds: _s, ...rest } = metrics as Record<string, number>;
    return { epoch, split, rest };
  });
}

/** The same points run by a local sweep in this process: the numbers a queued sweep must match. */
async function localReference(points: readonly GridPoint[]): Promise<RunStore> {
  const dir = tempDir();
  await runSweep(points, {
    db: join(dir, 'runs.sqlite'),
    checkpointDir: join(dir, 'ckpt'),
    jobs: 0,
  });
  return new RunStore(join(dir, 'runs.sqlite'));
}

async function workers(queue: { url: string; name: string }, n: number, lockSeconds = 60) {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      startQueueWorker({
        queue,
        workDir: tempDir(),
        jobs: 1,
        name: `w${i}`,
        lockSeconds,
        progressSeconds: 0,
      }),
    ),
  );
}

async function jobCount(queue: { url: string; name: string }): Promise<number> {
  const q = new Queue(queue.name, { connection: { url: queue.url }, prefix: KEY_PREFIX });
  try {
    const counts = await q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await q.close();
  }
}

describe.skipIf(redisBinary === undefined)('sweeps on a queue', () => {
  beforeAll(async () => {
    redis = await startRedisServer(redisBinary);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('stores what a local sweep stores, run by two workers, and leaves the queue empty', async () => {
    const queue = freshQueue();
    const points = [point(1), point(2), point(3)];
    const pool = await workers(queue, 2);
    const dir = tempDir();
    const events: SweepEvent[] = [];
    const counts: number[] = [];
    try {
      const result = await runQueuedSweep(points, {
        db: join(dir, 'runs.sqlite'),
        queue,
        onEvent: (e) => events.push(e),
        onWorkers: (n) => counts.push(n),
        pollSeconds: 1,
      });
      expect(counts[0]).toBe(2);
      expect(result.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done']);
    } finally {
      await Promise.all(pool.map((w) => w.close()));
    }
    const starts = events.filter((e) => e.kind === 'start');
    expect(starts).toHaveLength(3);
    for (const s of starts) expect(['w0', 'w1']).toContain(s.worker);
    expect(events.filter((e) => e.kind === 'epoch').length).toBeGreaterThan(0);

    const store = new RunStore(join(dir, 'runs.sqlite'));
    const reference = await localReference(points);
    for (const p of points) {
      const run = store.getRun(p.id);
      expect(run).toMatchObject({ status: 'done', epochsCompleted: 4, attempts: 1 });
      expect(run?.backend?.name).toBe('cpu');
      expect(run?.info?.worker).toBe(starts.find((e) => e.id === p.id)?.worker);
      expect(run?.info).toMatchObject(reference.getRun(p.id)?.info ?? {});
      expect(numbers(store, p.id)).toEqual(numbers(reference, p.id));
      expect(store.artifacts(p.id)).toEqual(reference.artifacts(p.id));
    }
    expect(await jobCount(queue)).toBe(0);
    store.close();
  });

  it('queues and finishes a run whose id reads as a number (BullMQ refuses such a job id)', async () => {
    // About 1 run id in 1,800 is all decimal digits, or digits around one 'e'.
    let seed = 0;
    while (Number.isNaN(Number(point(seed, 2).id))) seed++;
    const numeric = point(seed, 2);
    const queue = freshQueue();
    const pool = await workers(queue, 1);
    const dir = tempDir();
    try {
      const result = await runQueuedSweep([numeric], {
        db: join(dir, 'runs.sqlite'),
        queue,
        pollSeconds: 1,
      });
      expect(result.outcomes.map((o) => [o.id, o.status])).toEqual([[numeric.id, 'done']]);
    } finally {
      await Promise.all(pool.map((w) => w.close()));
    }
    expect(await jobCount(queue)).toBe(0);
  });

  it('when stopped, takes its unstarted runs off the queue; started again, collects what finished meanwhile', async () => {
    const queue = freshQueue();
    const points = [point(4, 30), point(5, 30), point(6, 30)];
    const [worker] = await workers(queue, 1);
    const db = join(tempDir(), 'runs.sqlite');
    const controller = new AbortController();
    try {
      const first = await runQueuedSweep(points, {
        db,
        queue,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.kind === 'epoch') controller.abort();
        },
        pollSeconds: 1,
      });
      expect(first.outcomes).toEqual([]);
      // The run in progress finishes on its worker and waits, completed, on the queue.
      await waitFor(async () => (await jobState(queue, points[0] as GridPoint)) === 'completed');
      expect(await jobCount(queue)).toBe(1);

      const events: SweepEvent[] = [];
      const second = await runQueuedSweep(points, {
        db,
        queue,
        onEvent: (e) => events.push(e),
        pollSeconds: 1,
      });
      expect(events[0]).toEqual({ kind: 'plan', total: 3, toRun: 3, finished: 0 });
      expect(second.outcomes.map((o) => [o.id, o.status])).toEqual(
        points.map((p) => [p.id, 'done']),
      );
    } finally {
      await (worker as QueueWorker).close();
    }
    const store = new RunStore(db);
    const reference = await localReference(points);
    for (const p of points) expect(numbers(store, p.id)).toEqual(numbers(reference, p.id));
    store.close();
  });

  it('says when no worker is connected; stopped then, it leaves nothing on the queue', async () => {
    const queue = freshQueue();
    const controller = new AbortController();
    const counts: number[] = [];
    const result = await runQueuedSweep([point(10), point(11)], {
      db: join(tempDir(), 'runs.sqlite'),
      queue,
      signal: controller.signal,
      onWorkers: (n) => {
        counts.push(n);
        controller.abort();
      },
    });
    expect(counts).toEqual([0]);
    expect(result.outcomes).toEqual([]);
    expect(await jobCount(queue)).toBe(0);
  });

  it('a worker that stops mid-run hands the run back; another worker finishes it with the same numbers', async () => {
    const queue = freshQueue();
    const p = point(7, 60);
    const [first, second] = await workers(queue, 2);
    const db = join(tempDir(), 'runs.sqlite');
    let stopped: Promise<void> | undefined;
    const events: SweepEvent[] = [];
    try {
      await runQueuedSweep([p], {
        db,
        queue,
        onEvent: (e) => {
          events.push(e);
          if (e.kind === 'epoch' && e.epoch >= 2 && stopped === undefined) {
            const start = events.find((s) => s.kind === 'start');
            const owner = start?.kind === 'start' && start.worker === 'w0' ? first : second;
            stopped = owner?.close();
          }
        },
        pollSeconds: 1,
      });
    } finally {
      await stopped;
      await Promise.all([first?.close(), second?.close()]);
    }
    const store = new RunStore(db);
    expect(store.getRun(p.id)).toMatchObject({ status: 'done', epochsCompleted: 60 });
    expect(store.getRun(p.id)?.attempts).toBeGreaterThanOrEqual(2);
    const reference = await localReference([p]);
    expect(numbers(store, p.id)).toEqual(numbers(reference, p.id));
    store.close();
  });

  it('fails a run whose trial process died, with the reason, and finishes it when the sweep starts again', async () => {
    const queue = freshQueue();
    const p = point(9, 200);
    const db = join(tempDir(), 'runs.sqlite');
    const [worker] = await workers(queue, 1);
    try {
      let killed = false;
      const first = await runQueuedSweep([p], {
        db,
        queue,
        pollSeconds: 1,
        onEvent: (e) => {
          if (e.kind === 'epoch' && !killed) {
            killed = true;
            // The worker runs in this process; its trial is this process's child.
            for (const pid of trialPids()) process.kill(pid, 'SIGKILL');
          }
        },
      });
      expect(first.outcomes[0]).toMatchObject({ status: 'failed' });
      expect(first.outcomes[0]?.error).toMatch(/worker process exited \(SIGKILL\)/);
      const store = new RunStore(db);
      expect(store.getRun(p.id)).toMatchObject({ status: 'failed' });
      expect(store.getRun(p.id)?.error).toMatch(/SIGKILL/);
      store.close();

      const second = await runQueuedSweep([p], { db, queue, pollSeconds: 1 });
      expect(second.outcomes[0]).toMatchObject({ status: 'done', epochsCompleted: 200 });
    } finally {
      await worker?.close();
    }
    const store = new RunStore(db);
    expect(store.getRun(p.id)).toMatchObject({ status: 'done', attempts: 2 });
    const reference = await localReference([p]);
    expect(numbers(store, p.id)).toEqual(numbers(reference, p.id));
    store.close();
  });

  it('queues a run again whose job vanished with a Redis that restarted empty, and finishes the plan', async () => {
    let server = await startRedisServer(redisBinary);
    const port = Number(new URL(server.url).port);
    const queue = { url: server.url, name: 'restart' };
    const points = [point(12, 60), point(13, 60)];
    const [worker] = await workers(queue, 1);
    const db = join(tempDir(), 'runs.sqlite');
    const notes: string[] = [];
    let restarted: Promise<void> | undefined;
    try {
      const result = await runQueuedSweep(points, {
        db,
        queue,
        pollSeconds: 0.5,
        onQueueError: (m) => notes.push(m),
        onEvent: (e) => {
          if (e.kind === 'epoch' && restarted === undefined) {
            restarted = (async () => {
              await server.stop();
              server = await startRedisServer(redisBinary, { port });
            })();
          }
        },
      });
      expect(result.outcomes.map((o) => o.status)).toEqual(['done', 'done']);
    } finally {
      await restarted;
      await worker?.close();
      await server.stop();
    }
    expect(notes.some((m) => /was gone from the queue; queued again/.test(m))).toBe(true);
    const store = new RunStore(db);
    const reference = await localReference(points);
    for (const p of points) {
      expect(store.getRun(p.id)?.status).toBe('done');
      expect(numbers(store, p.id)).toEqual(numbers(reference, p.id));
    }
    store.close();
  });

  it('fails a run that failed on its worker before the worker stored anything', async () => {
    const queue = freshQueue();
    const p = point(14);
    const db = join(tempDir(), 'runs.sqlite');
    const pool = await workers(queue, 1);
    try {
      // tfjs-node is not installed here: the trial process cannot start its backend.
      const result = await runQueuedSweep([p], {
        db,
        queue,
        backend: 'tensorflow',
        pollSeconds: 1,
      });
      expect(result.outcomes[0]).toMatchObject({ status: 'failed' });
    } finally {
      await Promise.all(pool.map((w) => w.close()));
    }
    const store = new RunStore(db);
    // Was left 'running' by the worker's "taken" message, with no error.
    expect(store.getRun(p.id)).toMatchObject({ status: 'failed' });
    expect(store.getRun(p.id)?.error).toMatch(/^on worker w0: worker process exited/);
    store.close();
  });

  it('refuses a result whose numbers differ from stored epochs, keeping the stored ones, and fails the run', async () => {
    const queue = freshQueue();
    const p = point(8);
    const db = join(tempDir(), 'runs.sqlite');
    const seeded = new RunStore(db);
    seeded.beginRun(p.id, p.spec);
    seeded.recordEpoch(p.id, 0, 'train', { loss: 123, seconds: 1 });
    seeded.close();
    const pool = await workers(queue, 1);
    let outcome: string | undefined;
    try {
      const result = await runQueuedSweep([p], { db, queue, pollSeconds: 1 });
      outcome = result.outcomes[0]?.error;
      expect(result.outcomes[0]?.status).toBe('failed');
    } finally {
      await Promise.all(pool.map((w) => w.close()));
    }
    expect(outcome).toMatch(
      /from worker w0: .*epoch 0: run [0-9a-f]{16} already has different train metrics/,
    );
    const store = new RunStore(db);
    expect(store.getRun(p.id)?.status).toBe('failed');
    expect(store.epochs(p.id).find((r) => r.epoch === 0 && r.split === 'train')?.metrics).toEqual({
      loss: 123,
      seconds: 1,
    });
    store.close();
  });
});

async function jobState(queue: { url: string; name: string }, p: GridPoint) {
  const q = new Queue(queue.name, { connection: { url: queue.url }, prefix: KEY_PREFIX });
  try {
    return await (await q.getJob(jobIdOf(p.id)))?.getState();
  } finally {
    await q.close();
  }
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Pids of this process's trial processes (children running experiments' worker.js; Linux /proc). */
function trialPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return (
          parent === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('worker.js')
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}
