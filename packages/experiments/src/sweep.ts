// A sweep runs many specs against one store. tfjs-wasm (and the cpu backend) use one core per
// Node process, so trials run in parallel child processes, one per core by default; each child
// opens the store itself (SQLite WAL allows concurrent writers) and runs one spec at a time.
// Runs already finished in the store are skipped; interrupted ones resume from their checkpoint.
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SpecError } from '@iwlab/core';
import type { GridPoint } from './grid.js';
import { type RunOutcome, runExperiment } from './runner.js';
import type { ExperimentSpec } from './spec.js';
import { FINISHED_STATUSES, RunStore } from './store.js';

export interface SweepOptions {
  /** SQLite file of the run store. */
  readonly db: string;
  readonly checkpointDir: string;
  readonly dataDir?: string;
  /** Overrides every spec's backend choice (the ids are unchanged). */
  readonly backend?: ExperimentSpec['backend'];
  /**
   * Parallel child processes (default: the number of cores). 0 runs every trial in this
   * process, one after the other (tests, debugging).
   */
  readonly jobs?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: SweepEvent) => void;
}

export type SweepEvent =
  | {
      readonly kind: 'plan';
      readonly total: number;
      readonly toRun: number;
      readonly finished: number;
    }
  | {
      readonly kind: 'start';
      readonly id: string;
      readonly index: number;
      readonly spec: ExperimentSpec;
    }
  | { readonly kind: 'epoch'; readonly id: string; readonly epoch: number; readonly epochs: number }
  | { readonly kind: 'end'; readonly outcome: RunOutcome; readonly seconds: number };

export interface SweepResult {
  readonly outcomes: readonly RunOutcome[];
  readonly skipped: number;
  readonly seconds: number;
}

/** Messages between the sweep and its child processes (JSON over the IPC channel). */
export type WorkerRequest = {
  readonly kind: 'run';
  readonly id: string;
  readonly spec: ExperimentSpec;
  readonly db: string;
  readonly checkpointDir: string;
  readonly dataDir?: string;
  readonly backend?: ExperimentSpec['backend'];
};
export type WorkerReply =
  | { readonly kind: 'epoch'; readonly id: string; readonly epoch: number; readonly epochs: number }
  | { readonly kind: 'done'; readonly outcome: RunOutcome };

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export async function runSweep(
  points: readonly GridPoint[],
  options: SweepOptions,
): Promise<SweepResult> {
  const started = performance.now();
  const jobs = options.jobs ?? availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 0) {
    throw new SpecError(`must be an integer >= 0, got ${jobs}`, { field: 'jobs' });
  }
  const store = new RunStore(options.db);
  const todo = points.filter((p) => {
    const status = store.getRun(p.id)?.status;
    return status === undefined || !FINISHED_STATUSES.includes(status);
  });
  const skipped = points.length - todo.length;
  options.onEvent?.({ kind: 'plan', total: points.length, toRun: todo.length, finished: skipped });
  let outcomes: RunOutcome[] = [];
  try {
    if (jobs === 0) outcomes = await runInline(todo, store, options);
  } finally {
    store.close();
  }
  if (jobs > 0 && todo.length > 0) {
    outcomes = await runInChildren(todo, Math.min(jobs, todo.length), options);
  }
  return { outcomes, skipped, seconds: (performance.now() - started) / 1000 };
}

async function runInline(
  todo: readonly GridPoint[],
  store: RunStore,
  options: SweepOptions,
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  for (const [index, point] of todo.entries()) {
    if (options.signal?.aborted) break;
    options.onEvent?.({ kind: 'start', id: point.id, index, spec: point.spec });
    const t = performance.now();
    const outcome = await runExperiment(point.spec, {
      store,
      checkpointDir: options.checkpointDir,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.backend === undefined ? {} : { backend: options.backend }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onEpoch: (e) => options.onEvent?.({ kind: 'epoch', ...e }),
    });
    outcomes.push(outcome);
    options.onEvent?.({ kind: 'end', outcome, seconds: (performance.now() - t) / 1000 });
  }
  return outcomes;
}

/**
 * Children share the cores: native kernels (oneDNN, OpenMP) would otherwise each start a thread
 * per core, and `jobs` processes x all cores threads wait on each other. An OMP_NUM_THREADS the
 * user set wins.
 */
export function childEnvironment(
  jobs: number,
  env: NodeJS.ProcessEnv = process.env,
  cores: number = availableParallelism(),
): NodeJS.ProcessEnv {
  if (env.OMP_NUM_THREADS !== undefined && env.OMP_NUM_THREADS !== '') return env;
  return { ...env, OMP_NUM_THREADS: String(Math.max(1, Math.floor(cores / jobs))) };
}

function runInChildren(
  todo: readonly GridPoint[],
  jobs: number,
  options: SweepOptions,
): Promise<RunOutcome[]> {
  if (!existsSync(WORKER)) {
    throw new SpecError(
      `the sweep worker ${WORKER} is missing (build @iwlab/experiments first, or use jobs: 0)`,
      { field: 'jobs' },
    );
  }
  const outcomes: RunOutcome[] = [];
  let next = 0;
  const children = new Set<ChildProcess>();
  return new Promise((resolve) => {
    const finishIfIdle = () => {
      if (children.size === 0) resolve(outcomes);
    };
    const env = childEnvironment(jobs);
    const startChild = () => {
      const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
      children.add(child);
      let current: { point: GridPoint; started: number } | undefined;
      // tfjs has one backend per process: a child serves runs of one backend choice only.
      let backend: string | undefined;
      let retiring = false;
      const feed = () => {
        if (options.signal?.aborted || next >= todo.length) {
          current = undefined;
          child.disconnect();
          return;
        }
        const index = next;
        const point = todo[index] as GridPoint;
        const wanted = options.backend ?? point.spec.backend;
        if (backend !== undefined && backend !== wanted) {
          current = undefined;
          retiring = true;
          child.disconnect();
          return;
        }
        backend = wanted;
        next++;
        current = { point, started: performance.now() };
        options.onEvent?.({ kind: 'start', id: point.id, index, spec: point.spec });
        const request: WorkerRequest = {
          kind: 'run',
          id: point.id,
          spec: point.spec,
          db: options.db,
          checkpointDir: options.checkpointDir,
          ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
          ...(options.backend === undefined ? {} : { backend: options.backend }),
        };
        child.send(request);
      };
      child.on('message', (message: WorkerReply) => {
        if (message.kind === 'epoch') {
          options.onEvent?.({
            kind: 'epoch',
            id: message.id,
            epoch: message.epoch,
            epochs: message.epochs,
          });
          return;
        }
        outcomes.push(message.outcome);
        const seconds = current ? (performance.now() - current.started) / 1000 : 0;
        options.onEvent?.({ kind: 'end', outcome: message.outcome, seconds });
        feed();
      });
      child.on('exit', (code, signal) => {
        children.delete(child);
        if (current !== undefined) {
          // The process died mid-run: the store still says 'running', so the next sweep resumes it.
          const outcome: RunOutcome = {
            id: current.point.id,
            status: 'failed',
            resumed: false,
            epochsCompleted: 0,
            error: `worker process exited (${signal ?? `code ${code}`}) during the run`,
          };
          outcomes.push(outcome);
          options.onEvent?.({
            kind: 'end',
            outcome,
            seconds: (performance.now() - current.started) / 1000,
          });
          current = undefined;
          if (!options.signal?.aborted && next < todo.length) startChild();
        } else if (retiring && !options.signal?.aborted && next < todo.length) {
          startChild();
        }
        finishIfIdle();
      });
      feed();
    };
    options.signal?.addEventListener('abort', () => {
      for (const child of children) child.kill('SIGINT');
    });
    for (let i = 0; i < jobs; i++) startChild();
    finishIfIdle();
  });
}
