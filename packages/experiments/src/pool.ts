// Trials in child processes. tfjs-wasm and the cpu backend use one core per Node process, so
// parallel trials need processes; and tfjs has one backend per process, so a child serves runs of
// one backend choice only. A pool keeps up to `size` children alive across runs (a child's data
// caches and compiled kernels outlive one run) and forks, reuses or retires them as runs arrive.
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SpecError } from '@iwlab/core';
import type { RunOutcome } from './runner.js';
import type { ExperimentSpec } from './spec.js';

/** One run for a child: the spec, the store its results go to and where its checkpoints live. */
export interface TrialRequest {
  readonly id: string;
  readonly spec: ExperimentSpec;
  /** SQLite file of the run store the child writes to. */
  readonly db: string;
  readonly checkpointDir: string;
  readonly dataDir?: string;
  /** Overrides the spec's backend choice (the id is unchanged). */
  readonly backend?: ExperimentSpec['backend'];
}

export interface TrialEvents {
  /** After each epoch the child stored. */
  readonly onEpoch?: (event: { id: string; epoch: number; epochs: number }) => void;
  /** Stops the run between steps; it stays 'running' in the store and resumes next time. */
  readonly signal?: AbortSignal;
}

/** Messages between the pool and its children (JSON over the IPC channel). */
export type WorkerRequest = { readonly kind: 'run' } & TrialRequest;
export type WorkerReply =
  | { readonly kind: 'epoch'; readonly id: string; readonly epoch: number; readonly epochs: number }
  | { readonly kind: 'done'; readonly outcome: RunOutcome };

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

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

interface Child {
  readonly process: ChildProcess;
  readonly backend: string;
  current: Pending | undefined;
  /** Sent SIGINT: its process-wide abort is set for good, so it takes no further run. */
  interrupted?: boolean;
}

interface Pending {
  readonly request: TrialRequest;
  readonly events: TrialEvents;
  readonly resolve: (outcome: RunOutcome) => void;
}

export interface TrialPoolOptions {
  /** Most children alive at once, so most runs at once (default: the number of cores). */
  readonly size?: number;
  /** Environment of the children (default: this process's, threads split by `childEnvironment`). */
  readonly env?: NodeJS.ProcessEnv;
}

const abortedOutcome = (id: string): RunOutcome => ({
  id,
  status: 'aborted',
  resumed: false,
  epochsCompleted: 0,
});

/**
 * Runs trials in up to `size` child processes. `run` resolves with the run's outcome, never
 * rejects for the run's own sake: a child that dies mid-run gives a 'failed' outcome (the store
 * still says 'running', so the run resumes from its checkpoint next time) and a fresh child
 * serves the next run.
 */
export class TrialPool {
  readonly size: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #children = new Set<Child>();
  readonly #waiting: Pending[] = [];
  #closed = false;

  constructor(options: TrialPoolOptions = {}) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) {
      throw new SpecError(`must be an integer >= 1, got ${size}`, { field: 'jobs' });
    }
    if (!existsSync(WORKER)) {
      throw new SpecError(
        `the trial worker ${WORKER} is missing (build @iwlab/experiments first, or run trials in this process)`,
        { field: 'jobs' },
      );
    }
    this.size = size;
    this.#env = options.env ?? childEnvironment(size);
  }

  /** Runs one trial in a child, waiting for a free one when all `size` are busy. */
  run(request: TrialRequest, events: TrialEvents = {}): Promise<RunOutcome> {
    if (this.#closed) {
      return Promise.reject(new SpecError('the trial pool is closed', { field: 'jobs' }));
    }
    return new Promise((resolve) => {
      const { signal } = events;
      if (signal?.aborted) {
        resolve(abortedOutcome(request.id));
        return;
      }
      // One listener per run, removed when the run ends: a sweep passes one signal to all its
      // runs, and listeners left behind would pile up on it.
      const onAbort = () => this.#interrupt(pending);
      const pending: Pending = {
        request,
        events,
        resolve: (outcome) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(pending);
      this.#dispatch();
    });
  }

  /** A run's signal fired: a waiting run ends at once, a running one is stopped between steps. */
  #interrupt(pending: Pending): void {
    const index = this.#waiting.indexOf(pending);
    if (index >= 0) {
      this.#waiting.splice(index, 1);
      pending.resolve(abortedOutcome(pending.request.id));
      return;
    }
    for (const child of this.#children) {
      if (child.current !== pending) continue;
      child.interrupted = true;
      child.process.kill('SIGINT');
    }
  }

  /** Stops every child once its current run (if any) has ended; resolves when all have exited. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#waiting.splice(0))
      pending.resolve(abortedOutcome(pending.request.id));
    const exits = [...this.#children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.process.exitCode !== null || child.process.signalCode !== null) resolve();
          else child.process.once('exit', () => resolve());
        }),
    );
    for (const child of this.#children) {
      if (child.current === undefined && child.process.connected) child.process.disconnect();
    }
    await Promise.all(exits);
  }

  #dispatch(): void {
    for (let i = 0; i < this.#waiting.length; ) {
      const pending = this.#waiting[i] as Pending;
      const backend = pending.request.backend ?? pending.request.spec.backend;
      const idle = [...this.#children].filter((c) => c.current === undefined);
      let child = idle.find((c) => c.backend === backend);
      if (child === undefined && this.#children.size >= this.size && idle.length > 0) {
        // Every slot taken but one idle child of another backend: retire it for this run.
        this.#retire(idle[0] as Child);
      }
      if (child === undefined && this.#children.size < this.size) child = this.#fork(backend);
      if (child === undefined) {
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      this.#start(child, pending);
    }
  }

  #fork(backend: string): Child {
    const proc = fork(WORKER, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: this.#env,
    });
    const child: Child = { process: proc, backend, current: undefined };
    this.#children.add(child);
    proc.on('message', (message: WorkerReply) => {
      const current = child.current;
      if (current === undefined) return;
      if (message.kind === 'epoch') {
        current.events.onEpoch?.({ id: message.id, epoch: message.epoch, epochs: message.epochs });
        return;
      }
      child.current = undefined;
      current.resolve(message.outcome);
      if (this.#closed || child.interrupted === true) this.#retire(child);
      if (!this.#closed) this.#dispatch();
    });
    // A send to a child that has just died fails here; its 'exit' reports the run.
    proc.on('error', () => {});
    proc.on('exit', (code, signal) => {
      this.#children.delete(child);
      const current = child.current;
      if (current !== undefined) {
        child.current = undefined;
        current.resolve({
          id: current.request.id,
          status: 'failed',
          resumed: false,
          epochsCompleted: 0,
          error: `worker process exited (${signal ?? `code ${code}`}) during the run`,
        });
      }
      if (!this.#closed) this.#dispatch();
    });
    return child;
  }

  #retire(child: Child): void {
    this.#children.delete(child);
    if (child.process.connected) child.process.disconnect();
  }

  #start(child: Child, pending: Pending): void {
    child.current = pending;
    const message: WorkerRequest = { kind: 'run', ...pending.request };
    child.process.send(message);
  }
}
