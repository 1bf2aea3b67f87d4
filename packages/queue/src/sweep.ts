// A sweep whose trials run on other machines: the same plan, store and events as `runSweep`, but
// each unfinished run becomes a job on the queue (job id from the run id, so a run is queued once however
// often the sweep starts), and the results come back into this machine's store. The store stays
// the one truth: jobs are removed once their results are stored, and a sweep started again
// queues exactly the runs its store lacks, collecting first what finished while it was away.
import { type RunStatus, SpecError } from '@iwlab/core';
import {
  type GridPoint,
  planSweep,
  type RunOutcome,
  RunStore,
  type SweepEvent,
  type SweepResult,
} from '@iwlab/experiments';
import { type Job, Queue, QueueEvents } from 'bullmq';
import {
  assertReachable,
  connectionOptions,
  DEFAULT_QUEUE_NAME,
  KEY_PREFIX,
  type QueueLocation,
} from './connection.js';
import {
  decodeRecord,
  jobIdOf,
  PROTOCOL_VERSION,
  type TrialJobData,
  type TrialProgress,
  type TrialResult,
} from './protocol.js';

export interface QueuedSweepOptions {
  /** SQLite file of the run store the results go to. */
  readonly db: string;
  readonly queue: QueueLocation;
  /** Pins every run's backend on every worker (the ids are unchanged). */
  readonly backend?: TrialJobData['backend'];
  /**
   * Stops waiting. Runs not yet started are taken off the queue; runs in progress go on, and the
   * next sweep collects them.
   */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: SweepEvent) => void;
  /** How often the sweep also asks the queue for its runs' states, in case it missed an event (s). */
  readonly pollSeconds?: number;
  /**
   * The number of workers connected to the queue: once the runs are queued, then whenever it
   * changes (checked every poll). Zero means the runs wait for someone to start a worker.
   */
  readonly onWorkers?: (count: number) => void;
  /**
   * Connection trouble on the way (Redis restarting, a network blip). BullMQ reconnects by
   * itself and the sweep goes on; this only lets the caller say so.
   */
  readonly onQueueError?: (message: string) => void;
}

interface Tracked {
  readonly point: GridPoint;
  readonly index: number;
  started?: { readonly at: number };
  lastEpoch: number;
  /**
   * Progress from the workers is no longer stored: a piece's numbers differed from stored ones,
   * and later pieces (deltas) would store epochs beside the refused one.
   */
  refused?: boolean;
}

/** Runs the plan on the queue's workers; resolves when every run has a result, or on abort. */
export async function runQueuedSweep(
  points: readonly GridPoint[],
  options: QueuedSweepOptions,
): Promise<SweepResult> {
  const started = performance.now();
  const pollSeconds = options.pollSeconds ?? 5;
  if (!(pollSeconds > 0)) {
    throw new SpecError(`must be > 0 seconds, got ${pollSeconds}`, { field: 'pollSeconds' });
  }
  await assertReachable(options.queue.url);
  const store = new RunStore(options.db);
  const todo = planSweep(points, store, options.onEvent);
  const skipped = points.length - todo.length;
  if (todo.length === 0) {
    store.close();
    return { outcomes: [], skipped, seconds: (performance.now() - started) / 1000 };
  }
  const name = options.queue.name ?? DEFAULT_QUEUE_NAME;
  const connection = connectionOptions(options.queue.url);
  const queue = new Queue<TrialJobData, TrialResult>(name, { connection, prefix: KEY_PREFIX });
  const events = new QueueEvents(name, { connection, prefix: KEY_PREFIX });
  // Keyed by job id (jobIdOf), as the queue's events and lists name them.
  const tracked = new Map(
    todo.map((point, index) => [jobIdOf(point.id), { point, index, lastEpoch: -1 } as Tracked]),
  );
  const outcomes: RunOutcome[] = [];
  let wake: () => void = () => {};
  const finishing = new Set<string>();

  const noteStart = (t: Tracked, worker: string | undefined) => {
    if (t.started !== undefined) return;
    t.started = { at: performance.now() };
    options.onEvent?.({
      kind: 'start',
      id: t.point.id,
      index: t.index,
      spec: t.point.spec,
      ...(worker === undefined ? {} : { worker }),
    });
  };

  const onProgress = (jobId: string, data: unknown) => {
    const t = tracked.get(jobId);
    const message = data as Partial<TrialProgress> | null;
    // A late message about a run being settled must not reopen it.
    if (finishing.has(jobId)) return;
    if (t === undefined || message?.v !== PROTOCOL_VERSION || typeof message.worker !== 'string') {
      return;
    }
    if (message.record === undefined) {
      // A worker took the run: count the attempt, and show the run as running before its first
      // epoch. A run handed on to another worker is taken again here.
      if (store.beginRun(t.point.id, t.point.spec).action !== 'skip') {
        store.setInfo(t.point.id, { worker: message.worker });
      }
      noteStart(t, message.worker);
      return;
    }
    noteStart(t, message.worker);
    if (t.refused !== undefined) return;
    const record = decodeRecord(message.record);
    try {
      store.importRun(record);
    } catch {
      // Numbers that differ from stored ones: nothing more of this run is stored. Its result
      // is refused the same way when it comes, and the run is marked failed then.
      t.refused = true;
      return;
    }
    const last = record.epochs.at(-1)?.epoch;
    if (last !== undefined && last > t.lastEpoch) {
      t.lastEpoch = last;
      options.onEvent?.({
        kind: 'epoch',
        id: t.point.id,
        epoch: last,
        epochs: t.point.spec.epochs,
      });
    }
  };

  /** Stores what a finished job says (its record, or why it failed) and takes it off the queue. */
  const settle = async (job: Job<TrialJobData, TrialResult>) => {
    const key = job.id ?? '';
    const t = tracked.get(key);
    if (t === undefined || finishing.has(key)) return;
    const state = await job.getState();
    // Checked again after the await: an event and a poll may settle the same job at once.
    if ((state !== 'completed' && state !== 'failed') || finishing.has(key)) return;
    finishing.add(key);
    let outcome: RunOutcome;
    const result = state === 'completed' ? (job.returnvalue as TrialResult | null) : null;
    if (result !== null && result.v === PROTOCOL_VERSION) {
      noteStart(t, result.worker);
      outcome = result.outcome;
      try {
        if (result.record !== null) store.importRun(decodeRecord(result.record));
        else if (outcome.status === 'failed') {
          // Failed before the worker's store saw it (a backend that cannot start there, say).
          outcome = failRun(store, t.point, `on worker ${result.worker}: ${outcome.error ?? ''}`);
        }
      } catch (error) {
        outcome = failRun(
          store,
          t.point,
          `from worker ${result.worker}: ${(error as Error).message}`,
        );
      }
    } else {
      noteStart(t, undefined);
      const reason =
        state === 'failed'
          ? (job.failedReason ?? 'the job failed')
          : `the job's result is not iwlab protocol ${PROTOCOL_VERSION}`;
      outcome = failRun(store, t.point, `on the queue: ${reason}`);
    }
    await job.remove().catch(() => {});
    tracked.delete(key);
    outcomes.push(outcome);
    const seconds = (performance.now() - (t.started?.at ?? performance.now())) / 1000;
    options.onEvent?.({ kind: 'end', outcome, seconds });
    wake();
  };

  // Settles in progress, awaited before the store and queue close (a settle cut short would
  // leave its job on the queue after storing its result).
  const settling = new Set<Promise<void>>();
  /** Settles job `id` unless it is not ours, is being settled already, or is not on the queue. */
  const checkOurs = async (id: string) => {
    if (!tracked.has(id) || finishing.has(id)) return;
    const job = await queue.getJob(id);
    if (job === undefined) return;
    const work = settle(job);
    settling.add(work);
    await work.finally(() => settling.delete(work));
  };

  const errors: unknown[] = [];
  const guard = (work: Promise<unknown>) =>
    work.catch((error: unknown) => {
      errors.push(error);
      wake();
    });
  const reportError = (error: Error) => options.onQueueError?.(error.message);
  queue.on('error', reportError);
  events.on('error', reportError);
  events.on('progress', ({ jobId, data }) => {
    try {
      onProgress(jobId, data);
    } catch (error) {
      errors.push(error);
      wake();
    }
  });
  events.on('completed', ({ jobId }) => void guard(checkOurs(jobId)));
  events.on('failed', ({ jobId }) => void guard(checkOurs(jobId)));

  let poll: NodeJS.Timeout | undefined;
  try {
    await events.waitUntilReady();
    // The job id is the run's (jobIdOf): adding a job whose id is on the queue already does nothing.
    const jobOf = (point: GridPoint) => ({
      name: 'run',
      data: {
        v: PROTOCOL_VERSION,
        id: point.id,
        spec: point.spec,
        ...(options.backend === undefined ? {} : { backend: options.backend }),
      } satisfies TrialJobData,
      opts: { jobId: jobIdOf(point.id), removeOnComplete: false, removeOnFail: false },
    });
    const enqueue = (point: GridPoint) => {
      const job = jobOf(point);
      return queue.add(job.name, job.data, job.opts);
    };
    // What finished while the sweep was away is collected first (one query, as a poll does);
    // the rest is queued in one call, whatever the plan's size.
    for (const id of await queue.getRanges(['completed', 'failed'])) await checkOurs(id);
    await queue.addBulk(todo.filter((point) => tracked.has(jobIdOf(point.id))).map(jobOf));
    let workers: number | undefined;
    const countWorkers = async () => {
      if (options.onWorkers === undefined) return;
      const count = await queue.getWorkersCount();
      if (count === workers) return;
      workers = count;
      options.onWorkers(count);
    };
    await countWorkers();
    let polls = 0;
    // One query per poll, whatever the plan's size: the finished jobs, settled if they are ours.
    const pollOnce = async () => {
      for (const id of await queue.getRanges(['completed', 'failed'])) await checkOurs(id);
      await countWorkers();
      // Now and then, every job of ours: one that is gone (a Redis restarted without its data,
      // a queue someone emptied) is queued again, or the sweep would wait for it for ever.
      if (++polls % 6 !== 0) return;
      const present = new Set(
        await queue.getRanges([
          'waiting',
          'active',
          'delayed',
          'prioritized',
          'completed',
          'failed',
        ]),
      );
      for (const [key, t] of [...tracked]) {
        if (present.has(key) || finishing.has(key)) continue;
        // Listing is not atomic: a job between two states may be missed. Ask for it alone.
        if ((await queue.getJobState(key)) !== 'unknown') continue;
        await enqueue(t.point);
        options.onQueueError?.(
          `the job of run ${t.point.id} was gone from the queue; queued again`,
        );
      }
    };
    // A poll that takes longer than the interval is not started again on top of itself.
    let polling = false;
    poll = setInterval(() => {
      if (polling) return;
      polling = true;
      void guard(
        pollOnce().finally(() => {
          polling = false;
        }),
      );
    }, pollSeconds * 1000);
    await new Promise<void>((resolve) => {
      wake = () => {
        if (tracked.size === 0 || errors.length > 0 || options.signal?.aborted) resolve();
      };
      options.signal?.addEventListener('abort', () => wake(), { once: true });
      wake();
    });
    if (errors.length > 0) throw errors[0];
    if (options.signal?.aborted) {
      // Runs not started yet leave the queue with the sweep; runs in progress finish on their
      // workers and wait there, completed, for the next sweep.
      for (const id of tracked.keys()) {
        const state = await queue.getJobState(id);
        if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
          await queue.remove(id).catch(() => {});
        }
      }
    }
  } finally {
    await Promise.allSettled(settling);
    if (poll !== undefined) clearInterval(poll);
    await events.close();
    await queue.close();
    store.close();
  }
  return { outcomes, skipped, seconds: (performance.now() - started) / 1000 };
}

/** Marks a run failed in the store (starting its row if the store never saw it). */
function failRun(store: RunStore, point: GridPoint, error: string): RunOutcome {
  let status: RunStatus | undefined = store.getRun(point.id)?.status;
  if (status === undefined || status === 'failed') {
    store.beginRun(point.id, point.spec);
    status = 'running';
  }
  if (status === 'running') store.finishRun(point.id, 'failed', { error });
  const run = store.getRun(point.id);
  return {
    id: point.id,
    status: run?.status === 'done' || run?.status === 'diverged' ? run.status : 'failed',
    resumed: false,
    epochsCompleted: run?.epochsCompleted ?? 0,
    error,
  };
}
