// What each `iwlab` command does. Progress goes to stderr-free plain lines on stdout, one per
// finished run, so it reads the same in a terminal and in a CI log.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@iwlab/backend';
import { type BackendChoice, DatasetMissingError } from '@iwlab/core';
import {
  FINISHED_STATUSES,
  type GridPoint,
  RunStore,
  runSweep,
  type SweepEvent,
  type SweepResult,
} from '@iwlab/experiments';
import { DEFAULT_QUEUE_NAME, redactedUrl, runQueuedSweep, startQueueWorker } from '@iwlab/queue';
import envPaths from 'env-paths';
import writeFileAtomic from 'write-file-atomic';
import { type Dashboard, startDashboard } from './dashboard.js';
import { planReportOptions, runLabel, storedPlan, storePlan } from './plan.js';
import { formatPlan, type PresetName, reproducePlan } from './presets.js';
import { buildReport, describeUnfinished } from './report.js';
import { readSweepFile } from './sweep-file.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

/** IWLAB_DATA_DIR, else a `shared/data` beside the checkout (cwd's or this app's), else none. */
export function findDataDir(explicit?: string): string | undefined {
  if (explicit !== undefined) return resolve(explicit);
  const env = process.env.IWLAB_DATA_DIR?.trim();
  if (env) return resolve(env);
  const candidates = [
    resolve('../shared/data'),
    fileURLToPath(new URL('../../../../shared/data', import.meta.url)),
  ];
  return candidates.find((dir) => existsSync(dir));
}

/** Where the CIFAR-10 cat/dog data was looked for, and how to point iwlab at it. */
function cifarMissing(dataDir: string | undefined): string {
  return `CIFAR-10 cat/dog data not found (looked for cifar10-catdog/train_catdog.bin under ${dataDir ?? 'IWLAB_DATA_DIR or ../shared/data'}); set IWLAB_DATA_DIR or --data-dir`;
}

export function hasCifar(dataDir: string | undefined): boolean {
  return dataDir !== undefined && existsSync(join(dataDir, 'cifar10-catdog', 'train_catdog.bin'));
}

/** Writes next to the target, then renames: a crash never leaves half a report. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(resolve(file)), { recursive: true });
  await writeFileAtomic(file, text);
}

/** What `reproduce` and `sweep` share: where runs go and how they run. */
export interface PlanRunOptions {
  readonly jobs?: number;
  readonly db: string;
  readonly out: string;
  readonly backend?: BackendChoice;
  readonly dataDir?: string;
  /** Serve the live dashboard while the sweep runs: a port, or true for the default one. */
  readonly dashboard?: number | true;
  /** Train on `iwlab worker`s through this Redis queue instead of local processes. */
  readonly queue?: string;
  readonly queueName?: string;
}

/**
 * What reproduce and sweep check before any work. Training here: a backend asked for by name
 * that cannot start. With --queue the workers train, so their --jobs, --data-dir and backends
 * count, not this machine's: options that would only mislead are refused.
 */
async function checkPlanRunOptions(options: PlanRunOptions): Promise<void> {
  if (options.queue === undefined) return checkBackend(options.backend);
  for (const [flag, value] of [
    ['--jobs', options.jobs],
    ['--data-dir', options.dataDir],
  ] as const) {
    if (value !== undefined) {
      throw new Error(
        `${flag} has no effect with --queue: the workers train, so give it to \`iwlab worker\``,
      );
    }
  }
}

export interface ReproduceOptions extends PlanRunOptions {
  readonly preset: PresetName;
  readonly seeds: number;
}

/** A backend asked for by name that cannot start here fails now, not once per trial. */
async function checkBackend(backend: BackendChoice | undefined): Promise<void> {
  if (backend !== undefined && backend !== 'auto') await initBackend(backend);
}

export async function reproduce(options: ReproduceOptions): Promise<void> {
  await checkPlanRunOptions(options);
  const plan = reproducePlan(options.preset, options.seeds);
  const dataDir = findDataDir(options.dataDir);
  const notes = [`Preset '${plan.preset}', ${options.seeds} seed(s) per cell.`, ...plan.shortened];
  out(`iwlab reproduce (${plan.preset})\n${formatPlan(plan)}`);
  for (const line of plan.shortened) out(`  note: ${line}`);
  const parts = plan.parts.filter((part) => {
    // With a queue the data sets are the workers' to find; a worker without them fails the run.
    if (!part.needsCifar || hasCifar(dataDir) || options.queue !== undefined) return true;
    const message = `${part.name} skipped: ${cifarMissing(dataDir)}.`;
    out(`  ${message}`);
    notes.push(message);
    return false;
  });
  await runPlan(
    parts.flatMap((p) => p.points),
    { notes },
    dataDir,
    options,
  );
}

/** `iwlab sweep <file>`: the researcher's own grid, run and reported as `reproduce` runs its plan. */
export async function sweepCommand(file: string, options: PlanRunOptions): Promise<void> {
  await checkPlanRunOptions(options);
  const sweep = await readSweepFile(file);
  const dataDir = findDataDir(options.dataDir);
  if (
    options.queue === undefined &&
    sweep.points.some((p) => p.spec.data.kind === 'cifar-catdog') &&
    !hasCifar(dataDir)
  ) {
    throw new DatasetMissingError(
      `the sweep trains on CIFAR-10 cat/dog: ${cifarMissing(dataDir)}`,
      { file },
    );
  }
  out(`iwlab sweep ${file}: ${sweep.points.length} runs${sweep.title ? ` (${sweep.title})` : ''}`);
  for (const line of sweep.notes) out(`  note: ${line}`);
  await runPlan(
    sweep.points,
    { notes: [...sweep.notes], ...(sweep.title === undefined ? {} : { title: sweep.title }) },
    dataDir,
    options,
  );
}

/**
 * Stores the plan, runs what is not finished (in `jobs` processes, resumable, Ctrl-C stops
 * cleanly), writes the report of the plan's runs and prints the verdicts.
 */
async function runPlan(
  points: readonly GridPoint[],
  about: { readonly notes: readonly string[]; readonly title?: string },
  dataDir: string | undefined,
  options: PlanRunOptions,
): Promise<void> {
  const db = resolve(options.db);
  // The plan goes into the store first, so the dashboard and `iwlab report` can measure progress
  // against it while it runs, and after an interrupt.
  const planStore = new RunStore(db);
  try {
    storePlan(planStore, {
      ...about,
      runIds: points.map((p) => p.id),
    });
  } finally {
    planStore.close();
  }
  const dashboard =
    options.dashboard === undefined
      ? undefined
      : await startDashboard({
          db,
          ...(options.dashboard === true ? {} : { port: options.dashboard }),
        });
  if (dashboard) out(`dashboard: ${dashboard.url}`);
  if (dashboard && options.jobs === 0) {
    out(
      '  note: with --jobs 0 the runs train in this process, so the dashboard answers only between epochs',
    );
  }
  const controller = new AbortController();
  const onSigint = () => {
    out(
      options.queue === undefined
        ? '\ninterrupted: finishing nothing new; unfinished runs resume from their checkpoints next time'
        : '\ninterrupted: runs no worker has started leave the queue; runs in progress finish on their workers, and the same command collects them next time',
    );
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let done = 0;
  let total = 0;
  const describeRun = new Map(points.map((p) => [p.id, runLabel(p.spec)]));
  const onEvent = (event: SweepEvent) => {
    if (event.kind === 'plan') {
      total = event.toRun;
      out(
        `store ${db}: ${event.finished} of ${event.total} runs already finished, ${event.toRun} to run`,
      );
    } else if (event.kind === 'start' && event.worker !== undefined) {
      out(`  started  ${describeRun.get(event.id) ?? event.id} on ${event.worker}`);
    } else if (event.kind === 'end') {
      done++;
      const o = event.outcome;
      const extra = o.error ? `: ${o.error}` : o.resumed ? ' (resumed)' : '';
      out(
        `[${done}/${total}] ${o.status.padEnd(8)} ${describeRun.get(o.id) ?? o.id}  ${event.seconds.toFixed(1)} s${extra}`,
      );
    }
  };
  const started = performance.now();
  try {
    let sweep: Promise<SweepResult>;
    if (options.queue === undefined) {
      sweep = runSweep(points, {
        db,
        checkpointDir: join(dirname(db), 'checkpoints'),
        ...(dataDir === undefined ? {} : { dataDir }),
        ...(options.backend === undefined ? {} : { backend: options.backend }),
        ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
        signal: controller.signal,
        onEvent,
      });
    } else {
      out(
        `queue ${redactedUrl(options.queue)} (${options.queueName ?? DEFAULT_QUEUE_NAME}): runs wait there for \`iwlab worker\`s`,
      );
      sweep = runQueuedSweep(points, {
        db,
        queue: {
          url: options.queue,
          ...(options.queueName === undefined ? {} : { name: options.queueName }),
        },
        ...(options.backend === undefined ? {} : { backend: options.backend }),
        signal: controller.signal,
        onEvent,
        onWorkers: (count) =>
          out(
            count === 0
              ? `no worker on the queue yet: the runs wait for \`iwlab worker --queue ${redactedUrl(options.queue ?? '')} --queue-name ${options.queueName ?? DEFAULT_QUEUE_NAME}\``
              : `${count} worker process(es) on the queue`,
          ),
        onQueueError: (message) => out(`queue: ${message}`),
      });
    }
    const result = await sweep.finally(() => process.off('SIGINT', onSigint));
    const minutes = (performance.now() - started) / 60_000;
    out(
      `sweep ${controller.signal.aborted ? 'stopped' : 'finished'} after ${minutes.toFixed(1)} min`,
    );
    // The sweep is over: a run it left 'running' was interrupted. (Not so with a queue: runs in
    // progress go on on their workers.)
    await writeReport(
      db,
      options.out,
      points.map((p) => p.id),
      options.queue === undefined,
    );
    const failed = result.outcomes.filter((o) => o.status === 'failed' || o.status === 'aborted');
    // A stopped queue sweep has no 'aborted' outcomes (its runs go on elsewhere), yet the plan
    // is unfinished all the same.
    if (controller.signal.aborted) process.exitCode = 1;
    if (failed.length > 0) {
      out(
        `${failed.length} run(s) failed or were interrupted; run the same command again to resume them`,
      );
      process.exitCode = 1;
    }
    if (dashboard && !controller.signal.aborted) {
      // Open pages poll every few seconds; without this they would never see the last run end.
      out(
        `dashboard: showing the final state for ${DASHBOARD_LINGER_MS / 1000} s more (Ctrl-C stops it now)`,
      );
      await lingerUnlessInterrupted(DASHBOARD_LINGER_MS);
    }
  } finally {
    await dashboard?.close();
  }
}

const DASHBOARD_LINGER_MS = 10_000;

function lingerUnlessInterrupted(ms: number): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      clearTimeout(timer);
      process.off('SIGINT', stop);
      done();
    };
    const timer = setTimeout(stop, ms);
    process.once('SIGINT', stop);
  });
}

/**
 * Writes the report of `runs` (a plan's ids; 'stored plan': the last plan stored, else every run;
 * 'all': every run) and prints its verdicts. Other runs in the store are counted in a note.
 */
async function writeReport(
  db: string,
  file: string,
  runs: readonly string[] | 'stored plan' | 'all',
  sweepStopped = false,
): Promise<void> {
  const store = new RunStore(db);
  try {
    const runIds = runs === 'all' ? undefined : runs === 'stored plan' ? storedPlan(store) : runs;
    const report = await buildReport(store, {
      ...planReportOptions(store, runIds),
      sweepStopped,
    });
    await writeAtomically(file, report.html);
    out(`report: ${resolve(file)}`);
    const { progress } = report;
    if (report.provisional) {
      out(
        `provisional: ${progress.finished} of ${progress.planned} planned runs finished (still to finish: ${describeUnfinished(progress)}); these verdicts use the finished runs only`,
      );
    }
    const tag = report.provisional ? ' (provisional)' : '';
    // The theory's predictions only when some cell can test them (the small preset's cannot).
    const tested = report.predictions.filter((p) => p.evidence.length > 0);
    for (const claim of [...report.claims, ...tested])
      out(`  ${`${claim.verdict}${tag}`.padEnd(report.provisional ? 29 : 15)} ${claim.statement}`);
    if (report.effects.some((e) => e.seeds < 2)) {
      out(
        "note: some cells have one seed, so their verdicts cannot tell the weights' effect from seed noise (reproduce --seeds 3, or a seed axis in a sweep file)",
      );
    }
  } finally {
    store.close();
  }
}

/** The last `reproduce` plan's runs when one is stored (as `reproduce` reports), else every run. */
export async function reportCommand(options: {
  db: string;
  out: string;
  all?: boolean;
}): Promise<void> {
  if (!existsSync(options.db)) throw new Error(`no run store at ${options.db}`);
  await writeReport(resolve(options.db), options.out, options.all === true ? 'all' : 'stored plan');
}

export interface ImportSummary {
  readonly inserted: number;
  readonly updated: number;
  /** Finished in the target already: kept as they were. */
  readonly kept: number;
  /** Imported while unfinished in the source ('running' or 'failed'): they resume here from scratch. */
  readonly unfinished: number;
  /** Runs whose numbers or spec clash with the target's: left out, the target's rows kept. */
  readonly refused: readonly { readonly id: string; readonly reason: string }[];
}

/**
 * `iwlab import <from>`: merges the runs of another store (a laptop's, a GPU box's) into this
 * one, under the store's rules (`RunStore.importRun`): a run finished here is kept, an epoch here
 * never takes other numbers, a clash leaves that run out and the rest goes on.
 */
export function importCommand(from: string, options: { db: string }): ImportSummary {
  if (!existsSync(from)) throw new Error(`no run store at ${from}`);
  if (resolve(from) === resolve(options.db)) {
    throw new Error(`${from} is the target store itself`);
  }
  const source = new RunStore(resolve(from));
  const target = new RunStore(resolve(options.db));
  let [inserted, updated, kept, unfinished] = [0, 0, 0, 0];
  const refused: { id: string; reason: string }[] = [];
  try {
    for (const run of source.listRuns()) {
      const record = source.exportRun(run.id);
      if (record === null) continue;
      try {
        const result = target.importRun(record);
        if (result.action === 'kept') {
          kept++;
          continue;
        }
        if (result.action === 'inserted') inserted++;
        else updated++;
        if (!FINISHED_STATUSES.includes(run.status)) unfinished++;
      } catch (error) {
        refused.push({ id: run.id, reason: (error as Error).message });
      }
    }
  } finally {
    source.close();
    target.close();
  }
  out(
    `imported ${inserted + updated} run(s) from ${from} into ${options.db} (${inserted} new, ${updated} unfinished here before); kept ${kept} finished here as they were`,
  );
  if (unfinished > 0) {
    out(
      `  ${unfinished} of them are unfinished: the next reproduce/sweep of their plan runs them again here (same numbers on the same backend)`,
    );
  }
  for (const r of refused) out(`  refused ${r.id}: ${r.reason}`);
  if (refused.length > 0) process.exitCode = 1;
  return { inserted, updated, kept, unfinished, refused };
}

export async function dashboardCommand(options: {
  db: string;
  port: number;
  host: string;
  all?: boolean;
  refresh?: number;
  reportEvery?: number;
}): Promise<Dashboard> {
  if (!existsSync(options.db)) throw new Error(`no run store at ${options.db}`);
  const dashboard = await startDashboard({
    db: resolve(options.db),
    port: options.port,
    host: options.host,
    allRuns: options.all === true,
    ...(options.refresh === undefined ? {} : { refreshSeconds: Math.max(0.1, options.refresh) }),
    ...(options.reportEvery === undefined ? {} : { reportEverySeconds: options.reportEvery }),
  });
  out(`dashboard: ${dashboard.url} (Ctrl-C stops it)`);
  process.once('SIGINT', () => void dashboard.close());
  return dashboard;
}

export async function doctor(options: { backend?: BackendChoice }): Promise<void> {
  const info = await initBackend(options.backend);
  out(`backend: ${info.name} (requested ${info.requested})`);
  out(`reason:  ${info.reason}`);
  for (const t of info.tried) out(`tried:   ${t.name}: ${t.error}`);
  for (const [k, v] of Object.entries(info.details ?? {})) out(`detail:  ${k} = ${String(v)}`);
  const dataDir = findDataDir();
  out(
    `data:    ${dataDir ?? 'not found (set IWLAB_DATA_DIR)'}; CIFAR-10 cat/dog ${hasCifar(dataDir) ? 'present' : 'absent'}`,
  );
}

export interface WorkerCommandOptions {
  readonly queue: string;
  readonly queueName: string;
  readonly jobs?: number;
  readonly workDir?: string;
  readonly backend?: BackendChoice;
  readonly dataDir?: string;
  readonly name?: string;
  readonly lockSeconds: number;
}

/**
 * `iwlab worker`: trains the queue's runs until Ctrl-C, one line per run started and ended.
 * Ctrl-C hands the runs in progress back to the queue (they resume from this machine's
 * checkpoints if they come back here).
 */
export async function workerCommand(options: WorkerCommandOptions): Promise<void> {
  await checkBackend(options.backend);
  const workDir = resolve(
    options.workDir ?? join(envPaths('iwlab', { suffix: '' }).cache, 'worker', options.queueName),
  );
  const dataDir = findDataDir(options.dataDir);
  const labels = new Map<string, string>();
  const worker = await startQueueWorker({
    queue: { url: options.queue, name: options.queueName },
    workDir,
    jobs: options.jobs ?? availableParallelism(),
    lockSeconds: options.lockSeconds,
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(options.backend === undefined ? {} : { backend: options.backend }),
    ...(options.name === undefined ? {} : { name: options.name }),
    onEvent: (event) => {
      if (event.kind === 'start') {
        labels.set(event.id, runLabel(event.spec));
        out(`started  ${labels.get(event.id)}`);
      } else if (event.kind === 'end') {
        const o = event.outcome;
        const extra = o.error ? `: ${o.error}` : o.resumed ? ' (resumed)' : '';
        out(
          `${o.status.padEnd(8)} ${labels.get(o.id) ?? o.id}  ${event.seconds.toFixed(1)} s${extra}`,
        );
      } else if (event.kind === 'requeued') {
        out(`handed back to the queue: ${labels.get(event.id) ?? event.id}`);
      } else {
        out(`queue error: ${event.message}`);
      }
    },
  });
  out(
    `iwlab worker ${worker.name}: waiting for runs on ${redactedUrl(options.queue)} (${options.queueName}); store ${join(workDir, 'runs.sqlite')}; Ctrl-C stops`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', () => {
      out('stopping: runs in progress go back to the queue');
      done();
    });
    process.once('SIGTERM', () => done());
  });
  await worker.close();
  out('worker stopped');
}
