// A sweep runs many specs against one store. tfjs-wasm (and the cpu backend) use one core per
// Node process, so trials run in parallel child processes, one per core by default; each child
// opens the store itself (SQLite WAL allows concurrent writers) and runs one spec at a time.
// Runs already finished in the store are skipped; interrupted ones resume from their checkpoint.
import { availableParallelism } from 'node:os';
import { SpecError } from '@iwlab/core';
import type { GridPoint } from './grid.js';
import { TrialPool } from './pool.js';
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
      /** Who runs it, where that is another machine (a queue worker's name). */
      readonly worker?: string;
    }
  | { readonly kind: 'epoch'; readonly id: string; readonly epoch: number; readonly epochs: number }
  | { readonly kind: 'end'; readonly outcome: RunOutcome; readonly seconds: number };

export interface SweepResult {
  readonly outcomes: readonly RunOutcome[];
  readonly skipped: number;
  readonly seconds: number;
}

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
  const todo = planSweep(points, store, options.onEvent);
  const skipped = points.length - todo.length;
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

/**
 * The points whose runs `store` has not finished (new, interrupted or failed ones), in plan
 * order, after telling `onEvent` the plan: what every sweep, local or not, does first.
 */
export function planSweep(
  points: readonly GridPoint[],
  store: RunStore,
  onEvent?: (event: SweepEvent) => void,
): GridPoint[] {
  const todo = points.filter((p) => {
    const status = store.getRun(p.id)?.status;
    return status === undefined || !FINISHED_STATUSES.includes(status);
  });
  const finished = points.length - todo.length;
  onEvent?.({ kind: 'plan', total: points.length, toRun: todo.length, finished });
  return todo;
}

/** Where runs go: with their outcome, each point's epochs reported through `onEpoch`. */
type RunPoint = (
  point: GridPoint,
  onEpoch: (e: { id: string; epoch: number; epochs: number }) => void,
) => Promise<RunOutcome>;

/**
 * Runs `todo` in `lanes` lanes at once: each takes the next point when its run ends, so the order
 * of starts follows the plan. Tells `onEvent` each start, epoch and end.
 */
async function runLanes(
  todo: readonly GridPoint[],
  lanes: number,
  options: SweepOptions,
  runPoint: RunPoint,
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  let next = 0;
  const lane = async () => {
    while (!options.signal?.aborted && next < todo.length) {
      const index = next++;
      const point = todo[index] as GridPoint;
      options.onEvent?.({ kind: 'start', id: point.id, index, spec: point.spec });
      const started = performance.now();
      const outcome = await runPoint(point, (e) => options.onEvent?.({ kind: 'epoch', ...e }));
      outcomes.push(outcome);
      options.onEvent?.({ kind: 'end', outcome, seconds: (performance.now() - started) / 1000 });
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return outcomes;
}

/** Where a run trains: the sweep's own choices (data folder, backend) for one point. */
const trainingOptions = (options: SweepOptions) => ({
  checkpointDir: options.checkpointDir,
  ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  ...(options.backend === undefined ? {} : { backend: options.backend }),
});

function runInline(
  todo: readonly GridPoint[],
  store: RunStore,
  options: SweepOptions,
): Promise<RunOutcome[]> {
  return runLanes(todo, 1, options, (point, onEpoch) =>
    runExperiment(point.spec, {
      store,
      ...trainingOptions(options),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onEpoch,
    }),
  );
}

async function runInChildren(
  todo: readonly GridPoint[],
  jobs: number,
  options: SweepOptions,
): Promise<RunOutcome[]> {
  const pool = new TrialPool({ size: jobs });
  try {
    return await runLanes(todo, jobs, options, (point, onEpoch) =>
      pool.run(
        { id: point.id, spec: point.spec, db: options.db, ...trainingOptions(options) },
        { onEpoch, ...(options.signal === undefined ? {} : { signal: options.signal }) },
      ),
    );
  } finally {
    await pool.close();
  }
}
