// The run store: one SQLite file (better-sqlite3, WAL mode so parallel trial processes can write
// at once). Results are append-only: a finished run is never started again, an epoch row is never
// replaced by different numbers, and a spec is never rebound to another id. A run left 'running'
// (its process died) or 'failed' is started again and resumes from its checkpoint.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BackendInfo, MetricValues, RunStatus } from '@iwlab/core';
import { DataError, SpecError } from '@iwlab/core';
import Database from 'better-sqlite3';
import { canonicalJson } from './internal/canonical.js';
import type { ExperimentSpec } from './spec.js';

const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  seed INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'diverged', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 1,
  backend TEXT,
  versions TEXT,
  git_commit TEXT,
  info TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  seconds REAL,
  epochs_completed INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  updated_at TEXT
);
CREATE TABLE IF NOT EXISTS epochs (
  run_id TEXT NOT NULL REFERENCES runs(id),
  epoch INTEGER NOT NULL,
  split TEXT NOT NULL,
  metrics TEXT NOT NULL,
  PRIMARY KEY (run_id, epoch, split)
);
CREATE TABLE IF NOT EXISTS artifacts (
  run_id TEXT NOT NULL REFERENCES runs(id),
  epoch INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, epoch, name)
);
`;

/** Statuses after which a run is never started again. */
export const FINISHED_STATUSES: readonly RunStatus[] = ['done', 'diverged'];

export interface RunEnvironment {
  readonly backend?: BackendInfo;
  readonly versions?: Readonly<Record<string, string>>;
  readonly gitCommit?: string | null;
}

export interface StoredRun {
  readonly id: string;
  readonly spec: ExperimentSpec;
  readonly seed: number;
  readonly status: RunStatus;
  readonly attempts: number;
  readonly backend: BackendInfo | null;
  readonly versions: Record<string, string> | null;
  readonly gitCommit: string | null;
  /** Facts the runner derived from the spec (e.g. the learning rate of lr = c/σ_max). */
  readonly info: Record<string, unknown> | null;
  readonly createdAt: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly seconds: number | null;
  readonly epochsCompleted: number;
  readonly error: string | null;
  /**
   * When the run last changed: its start, an epoch, its end. A 'running' run whose last change is
   * long past (against its epochs' pace) was left by a process that stopped.
   */
  readonly updatedAt: string;
}

export interface EpochRow {
  readonly epoch: number;
  readonly split: string;
  readonly metrics: MetricValues;
}

export interface ArtifactRow {
  readonly epoch: number;
  readonly name: string;
  readonly value: unknown;
}

/**
 * A run as data: its row, epochs and artifacts. What one store hands another (`exportRun` →
 * `importRun`): a worker on another machine, or a store filled elsewhere, merged into this one.
 */
export interface RunRecord {
  readonly run: StoredRun;
  readonly epochs: readonly EpochRow[];
  readonly artifacts: readonly ArtifactRow[];
}

/**
 * What `importRun` did: added a run this store lacked, brought an unfinished one up to the
 * record, or kept a finished one as it was.
 */
export type ImportResult =
  | { readonly action: 'inserted' | 'updated'; readonly epochs: number }
  | { readonly action: 'kept'; readonly status: RunStatus };

/** What `beginRun` decided: start fresh, resume an unfinished attempt, or skip a finished run. */
export type BeginResult =
  | { readonly action: 'start' }
  | { readonly action: 'resume'; readonly previous: RunStatus; readonly attempts: number }
  | { readonly action: 'skip'; readonly status: RunStatus };

interface RunRow {
  id: string;
  spec: string;
  seed: number;
  status: RunStatus;
  attempts: number;
  backend: string | null;
  versions: string | null;
  git_commit: string | null;
  info: string | null;
  created_at: string;
  started_at: string;
  finished_at: string | null;
  seconds: number | null;
  epochs_completed: number;
  error: string | null;
  updated_at: string | null;
}

const now = () => new Date().toISOString();
const parseOrNull = <T>(text: string | null): T | null =>
  text === null ? null : (JSON.parse(text) as T);

export class RunStore {
  readonly file: string;
  readonly #db: Database.Database;

  /** Opens (creating if needed) the store at `file`; ':memory:' for a throw-away one. */
  constructor(file: string) {
    this.file = file;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    try {
      this.#db = new Database(file);
      this.#db.pragma('busy_timeout = 30000');
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('foreign_keys = ON');
      this.#db.exec(SCHEMA);
    } catch (error) {
      throw new DataError(
        `cannot open the run store: ${(error as Error).message}`,
        { file },
        {
          cause: error,
        },
      );
    }
    // In one immediate transaction: trial processes open the same store at once.
    this.#db
      .transaction(() => {
        const version = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as
          | { value: string }
          | undefined;
        if (version === undefined) {
          this.#db
            .prepare('INSERT INTO meta (key, value) VALUES (?, ?)')
            .run('schema', `${SCHEMA_VERSION}`);
        } else if (Number(version.value) === 1) {
          this.#migrateFrom1();
        } else if (Number(version.value) !== SCHEMA_VERSION) {
          throw new DataError(
            `run store schema version ${version.value}; this iwlab reads versions 1 and ${SCHEMA_VERSION}`,
            { file, field: 'meta.schema' },
          );
        }
      })
      .immediate();
  }

  /**
   * Version 2 adds `runs.updated_at`, the time of a run's last change (start, epoch, end), so a
   * run left 'running' by a process that died can be told from one in progress. Stored results
   * are untouched; a run's last change before the upgrade is taken as its start or end.
   */
  #migrateFrom1(): void {
    this.#db.exec('ALTER TABLE runs ADD COLUMN updated_at TEXT');
    this.#db.exec('UPDATE runs SET updated_at = COALESCE(finished_at, started_at)');
    this.#db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(`${SCHEMA_VERSION}`);
  }

  close(): void {
    this.#db.close();
  }

  /**
   * Claims run `id` for an attempt. A new id is inserted as 'running'; a finished one ('done',
   * 'diverged') is skipped; an unfinished one ('running' from a process that died, or 'failed')
   * is marked 'running' again and should resume from its checkpoint. The stored spec must equal
   * `spec`: an id is never rebound to another experiment.
   */
  beginRun(id: string, spec: ExperimentSpec, environment: RunEnvironment = {}): BeginResult {
    const specJson = canonicalJson(spec);
    const begin = this.#db.transaction((): BeginResult => {
      const row = this.#storedRow(id, specJson);
      const env = [
        environment.backend === undefined ? null : JSON.stringify(environment.backend),
        environment.versions === undefined ? null : JSON.stringify(environment.versions),
        environment.gitCommit ?? null,
      ];
      if (row === undefined) {
        const t = now();
        this.#db
          .prepare(
            `INSERT INTO runs (id, spec, seed, status, attempts, backend, versions, git_commit, created_at, started_at, updated_at)
             VALUES (?, ?, ?, 'running', 1, ?, ?, ?, ?, ?, ?)`,
          )
          .run(id, specJson, spec.seed, ...env, t, t, t);
        return { action: 'start' };
      }
      if (FINISHED_STATUSES.includes(row.status)) return { action: 'skip', status: row.status };
      const t = now();
      this.#db
        .prepare(
          `UPDATE runs SET status = 'running', attempts = attempts + 1, error = NULL,
             backend = COALESCE(?, backend), versions = COALESCE(?, versions),
             git_commit = COALESCE(?, git_commit), started_at = ?, updated_at = ? WHERE id = ?`,
        )
        .run(...env, t, t, id);
      return { action: 'resume', previous: row.status, attempts: row.attempts + 1 };
    });
    return begin.immediate();
  }

  /** Stores a JSON value about the whole store (e.g. the notes of the plan that filled it). */
  setMeta(key: string, value: unknown): void {
    if (key === 'schema') throw new SpecError('"schema" is reserved', { field: 'key' });
    this.#db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, JSON.stringify(value));
  }

  getMeta(key: string): unknown {
    const row = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    if (row === undefined) return undefined;
    return key === 'schema' ? Number(row.value) : JSON.parse(row.value);
  }

  /** Merges facts derived while running (JSON-serializable) into the run's `info`. */
  setInfo(id: string, info: Readonly<Record<string, unknown>>): void {
    const row = this.#requireRow(id);
    const merged = { ...(parseOrNull<Record<string, unknown>>(row.info) ?? {}), ...info };
    this.#db.prepare('UPDATE runs SET info = ? WHERE id = ?').run(JSON.stringify(merged), id);
  }

  /**
   * Stores the metrics of one split for one epoch. Writing the same numbers again is a no-op (a
   * resumed run may report an epoch twice); different numbers for a stored epoch are refused.
   */
  recordEpoch(id: string, epoch: number, split: string, metrics: MetricValues): void {
    const write = this.#db.transaction(() => {
      if (!this.#insertEpoch(id, epoch, split, canonicalJson(metrics))) return;
      this.#db
        .prepare(
          'UPDATE runs SET epochs_completed = MAX(epochs_completed, ?), updated_at = ? WHERE id = ?',
        )
        .run(epoch + 1, now(), id);
    });
    write.immediate();
  }

  /** Stores a JSON artifact (e.g. a decision-boundary grid); an existing one is kept as is. */
  recordArtifact(id: string, epoch: number, name: string, value: unknown): void {
    this.#db
      .prepare(
        'INSERT INTO artifacts (run_id, epoch, name, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(id, epoch, name, JSON.stringify(value));
  }

  /** Ends an attempt. Only a 'running' run can be finished, so a result is never replaced. */
  finishRun(
    id: string,
    status: Exclude<RunStatus, 'running'>,
    details: { readonly seconds?: number; readonly error?: string } = {},
  ): void {
    const t = now();
    const result = this.#db
      .prepare(
        `UPDATE runs SET status = ?, finished_at = ?, updated_at = ?,
           seconds = COALESCE(seconds, 0) + ?, error = ?
         WHERE id = ? AND status = 'running'`,
      )
      .run(status, t, t, details.seconds ?? 0, details.error ?? null, id);
    if (result.changes !== 1) {
      const row = this.getRun(id);
      throw new DataError(
        row === null
          ? `run ${id} is not in the store`
          : `run ${id} is '${row.status}', not 'running'; its stored result is kept`,
        { file: this.file, field: 'status' },
      );
    }
  }

  getRun(id: string): StoredRun | null {
    const row = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row === undefined ? null : toStoredRun(row);
  }

  listRuns(filter: { readonly status?: RunStatus } = {}): StoredRun[] {
    const rows = (
      filter.status === undefined
        ? this.#db.prepare('SELECT * FROM runs ORDER BY created_at, id').all()
        : this.#db
            .prepare('SELECT * FROM runs WHERE status = ? ORDER BY created_at, id')
            .all(filter.status)
    ) as RunRow[];
    return rows.map(toStoredRun);
  }

  /**
   * The stored epoch rows of a run, by epoch then split: every one, or with `last` those of its
   * last `last` stored epochs (what a live view needs, without reading 10,000 epochs).
   */
  epochs(
    id: string,
    options: { readonly last?: number; readonly fromEpoch?: number } = {},
  ): EpochRow[] {
    const rows = (
      options.last === undefined
        ? this.#db
            .prepare(
              'SELECT epoch, split, metrics FROM epochs WHERE run_id = ? AND epoch >= ? ORDER BY epoch, split',
            )
            .all(id, options.fromEpoch ?? 0)
        : this.#db
            .prepare(
              `SELECT epoch, split, metrics FROM epochs WHERE run_id = ?
                 AND epoch > (SELECT MAX(epoch) FROM epochs WHERE run_id = ?) - ?
               ORDER BY epoch, split`,
            )
            .all(id, id, options.last)
    ) as { epoch: number; split: string; metrics: string }[];
    return rows.map((r) => ({ epoch: r.epoch, split: r.split, metrics: JSON.parse(r.metrics) }));
  }

  /**
   * The run with its epochs and artifacts, or null when the store lacks it. With `fromEpoch`,
   * only the epochs and artifacts from that epoch on (what changed since a previous export; the
   * run-wide artifacts of epoch -1 come with a whole export only).
   */
  exportRun(id: string, options: { readonly fromEpoch?: number } = {}): RunRecord | null {
    const run = this.getRun(id);
    if (run === null) return null;
    const from = options.fromEpoch ?? Number.MIN_SAFE_INTEGER;
    return {
      run,
      epochs: this.epochs(id, { fromEpoch: from }),
      artifacts: this.#artifactRows(id, undefined, from),
    };
  }

  /**
   * Merges a run recorded by another store into this one, in one transaction, under the rules
   * that keep stored results: a finished run here is kept as it is; an epoch row already here
   * must carry the same numbers (wall time aside), else the whole import is refused with a
   * DataError naming the run, epoch and split; the spec must equal the stored one. A run that is
   * missing, 'running' or 'failed' here takes the record's status, attempt count (the larger),
   * provenance and timing; its `updatedAt` is this store's clock, so a run whose worker went
   * quiet is judged by the same clock as every other.
   */
  importRun(record: RunRecord): ImportResult {
    const { run } = record;
    const specJson = canonicalJson(run.spec);
    const merge = this.#db.transaction((): ImportResult => {
      const row = this.#storedRow(run.id, specJson);
      if (row !== undefined && FINISHED_STATUSES.includes(row.status)) {
        return { action: 'kept', status: row.status };
      }
      const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
      const t = now();
      if (row === undefined) {
        this.#db
          .prepare(
            `INSERT INTO runs (id, spec, seed, status, attempts, created_at, started_at, updated_at)
             VALUES (?, ?, ?, 'running', 0, ?, ?, ?)`,
          )
          .run(run.id, specJson, run.seed, run.createdAt, run.startedAt, t);
      }
      let added = 0;
      for (const e of record.epochs) {
        if (this.#insertEpoch(run.id, e.epoch, e.split, canonicalJson(e.metrics))) added++;
      }
      for (const a of record.artifacts) this.recordArtifact(run.id, a.epoch, a.name, a.value);
      this.#db
        .prepare(
          `UPDATE runs SET status = ?, attempts = MAX(attempts, ?),
             backend = COALESCE(?, backend), versions = COALESCE(?, versions),
             git_commit = COALESCE(?, git_commit), info = COALESCE(?, info), started_at = ?,
             finished_at = ?, seconds = ?, error = ?,
             epochs_completed = MAX(epochs_completed, ?, (SELECT COALESCE(MAX(epoch) + 1, 0) FROM epochs WHERE run_id = ?)),
             updated_at = ?
           WHERE id = ?`,
        )
        .run(
          run.status,
          run.attempts,
          json(run.backend),
          json(run.versions),
          run.gitCommit,
          json(run.info),
          run.startedAt,
          run.finishedAt,
          run.seconds,
          run.error,
          run.epochsCompleted,
          run.id,
          t,
          run.id,
        );
      return { action: row === undefined ? 'inserted' : 'updated', epochs: added };
    });
    return merge.immediate();
  }

  artifacts(id: string, name?: string): ArtifactRow[] {
    return this.#artifactRows(id, name, Number.MIN_SAFE_INTEGER);
  }

  #artifactRows(id: string, name: string | undefined, fromEpoch: number): ArtifactRow[] {
    const rows = (
      name === undefined
        ? this.#db
            .prepare(
              'SELECT epoch, name, value FROM artifacts WHERE run_id = ? AND epoch >= ? ORDER BY epoch',
            )
            .all(id, fromEpoch)
        : this.#db
            .prepare(
              'SELECT epoch, name, value FROM artifacts WHERE run_id = ? AND epoch >= ? AND name = ? ORDER BY epoch',
            )
            .all(id, fromEpoch, name)
    ) as { epoch: number; name: string; value: string }[];
    return rows.map((r) => ({ epoch: r.epoch, name: r.name, value: JSON.parse(r.value) }));
  }

  /** The stored row of run `id`, if any, refusing one stored with another spec. */
  #storedRow(
    id: string,
    specJson: string,
  ): Pick<RunRow, 'spec' | 'status' | 'attempts'> | undefined {
    const row = this.#db.prepare('SELECT spec, status, attempts FROM runs WHERE id = ?').get(id) as
      | Pick<RunRow, 'spec' | 'status' | 'attempts'>
      | undefined;
    if (row !== undefined && row.spec !== specJson) {
      throw new SpecError(
        `run ${id} is stored with a different spec; refusing to mix the results of two experiments`,
        { file: this.file, field: 'id' },
      );
    }
    return row;
  }

  /** Prepared once: every stored epoch row goes through them (an import, thousands at a time). */
  #epochStatements:
    | { readonly select: Database.Statement; readonly insert: Database.Statement }
    | undefined;

  /** Inserts an epoch row; false when the same numbers are already stored (different ones throw). */
  #insertEpoch(id: string, epoch: number, split: string, json: string): boolean {
    this.#epochStatements ??= {
      select: this.#db.prepare(
        'SELECT metrics FROM epochs WHERE run_id = ? AND epoch = ? AND split = ?',
      ),
      insert: this.#db.prepare(
        'INSERT INTO epochs (run_id, epoch, split, metrics) VALUES (?, ?, ?, ?)',
      ),
    };
    const existing = this.#epochStatements.select.get(id, epoch, split) as
      | { metrics: string }
      | undefined;
    if (existing !== undefined) {
      if (sameIgnoringTime(existing.metrics, json)) return false;
      throw new DataError(
        `run ${id} already has different ${split} metrics for this epoch; stored results are never overwritten`,
        { file: this.file, epoch },
      );
    }
    this.#epochStatements.insert.run(id, epoch, split, json);
    return true;
  }

  #requireRow(id: string): RunRow {
    const row = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    if (row === undefined) {
      throw new DataError(`run ${id} is not in the store`, { file: this.file, field: 'id' });
    }
    return row;
  }
}

/** Wall-clock time differs between an interrupted and a resumed attempt; the numbers may not. */
function sameIgnoringTime(a: string, b: string): boolean {
  const strip = (s: string) => {
    const { seconds: _s, ...rest } = JSON.parse(s) as Record<string, unknown>;
    return canonicalJson(rest);
  };
  return a === b || strip(a) === strip(b);
}

function toStoredRun(row: RunRow): StoredRun {
  return {
    id: row.id,
    spec: JSON.parse(row.spec) as ExperimentSpec,
    seed: row.seed,
    status: row.status,
    attempts: row.attempts,
    backend: parseOrNull<BackendInfo>(row.backend),
    versions: parseOrNull<Record<string, string>>(row.versions),
    gitCommit: row.git_commit,
    info: parseOrNull<Record<string, unknown>>(row.info),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    seconds: row.seconds,
    epochsCompleted: row.epochs_completed,
    error: row.error,
    updatedAt: row.updated_at ?? row.finished_at ?? row.started_at,
  };
}
