// `iwlab worker`: takes runs off the queue and trains them on this machine. Each run goes into a
// store of the worker's own (`<workDir>/runs.sqlite`, checkpoints beside it), the way a local
// sweep stores it; pieces of its record go back to the sweep as progress and the whole record as
// the job's result. So a run interrupted here resumes from this machine's checkpoint, and a run
// whose result the sweep never collected is answered from this store when it comes again.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SpecError } from '@iwlab/core';
import type { ExperimentSpec, RunOutcome } from '@iwlab/experiments';
import { RunStore, runExperiment, TrialPool } from '@iwlab/experiments';
import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import {
  assertReachable,
  connectionOptions,
  DEFAULT_QUEUE_NAME,
  KEY_PREFIX,
  type QueueLocation,
} from './connection.js';
import {
  encodeRecord,
  PROTOCOL_VERSION,
  readJobData,
  type TrialJobData,
  type TrialProgress,
  type TrialResult,
} from './protocol.js';

export interface QueueWorkerOptions {
  readonly queue: QueueLocation;
  /** Folder of this worker's own run store and checkpoints. */
  readonly workDir: string;
  /** Runs at once, each in a child process (default 1); 0 runs one at a time in this process. */
  readonly jobs?: number;
  readonly dataDir?: string;
  /** Backend for runs whose sweep pinned none (default: each spec's own choice). */
  readonly backend?: ExperimentSpec['backend'];
  /** Name shown in the sweep's output and stored with each run (default `host:pid`). */
  readonly name?: string;
  /**
   * How long a run stays this worker's without word from it (default 60 s). After that, a worker
   * that died is taken for dead and its run goes back to the queue for another.
   */
  readonly lockSeconds?: number;
  /** Least time between two progress messages of one run (default 2 s). */
  readonly progressSeconds?: number;
  readonly onEvent?: (event: QueueWorkerEvent) => void;
}

export type QueueWorkerEvent =
  | { readonly kind: 'start'; readonly id: string; readonly spec: ExperimentSpec }
  | { readonly kind: 'end'; readonly outcome: RunOutcome; readonly seconds: number }
  | { readonly kind: 'requeued'; readonly id: string }
  | { readonly kind: 'error'; readonly message: string };

export interface QueueWorker {
  readonly name: string;
  /**
   * Stops taking runs, interrupts the ones in progress (each goes back to the queue, and resumes
   * from its checkpoint if it comes back here) and closes the connection and the store.
   */
  close(): Promise<void>;
}

/** Starts a worker on the queue; resolves once it is connected and waiting for runs. */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const { url } = options.queue;
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 0) {
    throw new SpecError(`must be an integer >= 0, got ${jobs}`, { field: 'jobs' });
  }
  const lockSeconds = options.lockSeconds ?? 60;
  if (!(lockSeconds >= 1)) {
    throw new SpecError(`must be at least 1 second, got ${lockSeconds}`, { field: 'lockSeconds' });
  }
  await assertReachable(url);
  const db = join(options.workDir, 'runs.sqlite');
  const checkpointDir = join(options.workDir, 'checkpoints');
  const store = new RunStore(db);
  const pool = jobs > 0 ? new TrialPool({ size: jobs }) : undefined;
  const progressMs = (options.progressSeconds ?? 2) * 1000;
  const stopping = new AbortController();

  const train = (data: TrialJobData, signal: AbortSignal, onEpoch: () => void) => {
    const backend = data.backend ?? options.backend;
    const common = {
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(backend === undefined ? {} : { backend }),
    };
    return pool === undefined
      ? runExperiment(data.spec, { store, checkpointDir, signal, onEpoch, ...common })
      : pool.run(
          { id: data.id, spec: data.spec, db, checkpointDir, ...common },
          { onEpoch, signal },
        );
  };

  const processor = async (
    job: Job<unknown, TrialResult>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<TrialResult> => {
    let data: TrialJobData;
    try {
      data = readJobData(job.data, job.id);
    } catch (error) {
      // A job no worker of this version can run: fail it at once rather than retry it.
      throw new UnrecoverableError((error as Error).message);
    }
    const started = performance.now();
    options.onEvent?.({ kind: 'start', id: data.id, spec: data.spec });
    // Progress pieces: what this store gained since the last one, at most every progressMs.
    let sentFrom = -1;
    let lastSent = 0;
    // Each message's failure is caught where it is sent: a lost piece (Redis away for a moment)
    // is made good by the next one or by the final record, and must not surface as an unhandled
    // rejection while the run goes on.
    const send = (message: TrialProgress) =>
      job.updateProgress(message as unknown as object).catch((error: unknown) =>
        options.onEvent?.({
          kind: 'error',
          message: `progress of run ${data.id} not sent: ${(error as Error).message}`,
        }),
      );
    let sending: Promise<unknown> = send({ v: PROTOCOL_VERSION, worker: name });
    // Where the run was trained, stored with it (its `info.worker`): the last worker to run it.
    // Once per attempt, as soon as the run has its row.
    let signed = false;
    const sign = () => {
      if (signed || store.getRun(data.id) === null) return;
      store.setInfo(data.id, { worker: name });
      signed = true;
    };
    const flush = () => {
      sign();
      const record = store.exportRun(data.id, { fromEpoch: sentFrom });
      if (record === null) return;
      const last = record.epochs.at(-1)?.epoch;
      if (last !== undefined) sentFrom = last + 1;
      lastSent = performance.now();
      const message: TrialProgress = {
        v: PROTOCOL_VERSION,
        worker: name,
        record: encodeRecord(record),
      };
      sending = sending.then(() => send(message));
    };
    const onEpoch = () => {
      if (performance.now() - lastSent >= progressMs) flush();
    };
    // BullMQ may hand out a job while the worker closes, after cancelAllJobs: the worker's own
    // stop reaches that run too.
    const stops =
      signal === undefined ? stopping.signal : AbortSignal.any([signal, stopping.signal]);
    const outcome = await train(data, stops, onEpoch);
    await sending;
    if (outcome.status === 'aborted') {
      // This worker is stopping: the run goes back to the queue, unfinished, for any worker.
      flush();
      await sending;
      await job.moveToWait(token);
      options.onEvent?.({ kind: 'requeued', id: data.id });
      throw new WaitingError();
    }
    if (outcome.status === 'failed' && store.getRun(data.id)?.status === 'running') {
      // The run's process died: say so here as the sweep will, and resume next time.
      store.finishRun(data.id, 'failed', { error: outcome.error ?? 'the run failed' });
    }
    sign();
    const record = store.exportRun(data.id);
    // 'skipped': this worker's store had the run finished (its result never reached a sweep).
    const answered =
      outcome.status === 'skipped' && record !== null && record.run.status !== 'running'
        ? { ...outcome, status: record.run.status }
        : outcome;
    options.onEvent?.({
      kind: 'end',
      outcome: answered,
      seconds: (performance.now() - started) / 1000,
    });
    return {
      v: PROTOCOL_VERSION,
      worker: name,
      outcome: answered,
      record: record === null ? null : encodeRecord(record),
    };
  };

  const worker = new Worker<unknown, TrialResult>(
    options.queue.name ?? DEFAULT_QUEUE_NAME,
    processor,
    {
      connection: connectionOptions(url),
      prefix: KEY_PREFIX,
      name,
      concurrency: Math.max(1, jobs),
      lockDuration: lockSeconds * 1000,
      // A run whose workers died three times is failed rather than handed round for ever.
      maxStalledCount: 2,
      stalledInterval: lockSeconds * 1000,
      autorun: true,
    },
  );
  worker.on('error', (error) => options.onEvent?.({ kind: 'error', message: error.message }));
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  return {
    name,
    close: () => {
      closing ??= (async () => {
        stopping.abort();
        worker.cancelAllJobs('the worker is stopping');
        await worker.close();
        await pool?.close();
        store.close();
      })();
      return closing;
    },
  };
}
