// What a checkpoint holds and how a run is matched to it. A checkpoint written by a different
// configuration is refused rather than silently continued: resuming must reproduce the
// uninterrupted run, and must never overwrite the results of another one.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { SpecError } from '@iwlab/core';
import type * as tf from '@tensorflow/tfjs-core';
import { readCheckpointFile } from './checkpoint-file.js';
import type { EarlyStoppingState } from './early-stopping.js';
import { readHistory } from './history-file.js';
import { weightShapes } from './internal/model-weights.js';
import type { EpochRecord, TrainOptions } from './types.js';

export const CHECKPOINT_FILE = 'checkpoint.iwckpt';
/** 2: the history is in history.jsonl beside the file; 1 (still read): inside the header. */
const FORMAT_VERSION = 2;

/** The settings a resumed run must share with the run that wrote the checkpoint. */
export interface RunFingerprint {
  readonly seed: number;
  readonly reduction: string;
  readonly loss: string;
  readonly model: string;
  readonly numClasses: number;
  readonly optimizer: string;
  readonly weightShapes: readonly (readonly number[])[];
}

export interface CheckpointMeta {
  readonly version: number;
  readonly fingerprint: RunFingerprint;
  /** Epochs finished; the resumed run starts at this epoch index. */
  readonly epochsCompleted: number;
  readonly steps: number;
  /** True once early stopping ended the run: a resume only restores it. */
  readonly stoppedEarly: boolean;
  readonly rngState: readonly number[];
  readonly optimizer: {
    readonly iterations: number;
    readonly slots: Readonly<Record<string, number>>;
  };
  /** Every finished epoch's record (read from history.jsonl for a version-2 checkpoint). */
  readonly history: readonly EpochRecord[];
  readonly earlyStopping?: EarlyStoppingState & { readonly bestWeights: number };
  readonly modelWeights: number;
  readonly lossState?: unknown;
  readonly modelState?: unknown;
}

/**
 * The checkpoint file's header: the metadata without the history. A version-2 checkpoint's
 * history is the first `epochsCompleted` lines of history.jsonl (one record per finished
 * epoch); a version-1 header holds the history itself.
 */
export type StoredCheckpointMeta = Omit<CheckpointMeta, 'history'> &
  ({ readonly version: 2 } | { readonly version: 1; readonly history: readonly EpochRecord[] });

export function checkpointPath(dir: string): string {
  return join(dir, CHECKPOINT_FILE);
}

/** JSON with object keys sorted, so the same settings written in another order still match. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function fingerprintOf(options: TrainOptions): RunFingerprint {
  const { optimizer } = options;
  // A function-valued schedule cannot be compared; its kind and the rest of the spec still are.
  const comparable =
    typeof optimizer.lr === 'function' ? { ...optimizer, lr: 'function' } : optimizer;
  return {
    seed: options.seed,
    reduction: options.reduction,
    loss: options.loss.name,
    model: options.model.spec.kind,
    numClasses: options.model.spec.numClasses,
    optimizer: stableJson(comparable),
    weightShapes: weightShapes(options.model),
  };
}

export function assertSameRun(saved: RunFingerprint, current: RunFingerprint, file: string): void {
  for (const key of Object.keys(current) as (keyof RunFingerprint)[]) {
    const a = JSON.stringify(saved[key]);
    const b = JSON.stringify(current[key]);
    if (a !== b) {
      throw new SpecError(
        `cannot resume: the checkpoint was written with ${key} = ${a}, this run has ${b}. Use another checkpoint directory for a different run.`,
        { file, field: key },
      );
    }
  }
}

export async function checkpointExists(dir: string): Promise<boolean> {
  try {
    await access(checkpointPath(dir));
    return true;
  } catch {
    return false;
  }
}

/** Reads a checkpoint's metadata (history, epoch, status) without keeping its tensors. */
export async function readCheckpointMeta(dir: string): Promise<CheckpointMeta> {
  const path = checkpointPath(dir);
  const { meta, tensors } = await readCheckpointFile<StoredCheckpointMeta>(path);
  for (const t of tensors.values()) t.dispose();
  checkVersion(meta, path);
  return withHistory(meta, await storedHistory(meta, dir));
}

/** The history a stored header stands for: its own (version 1) or its lines of history.jsonl. */
export function storedHistory(
  meta: StoredCheckpointMeta,
  dir: string,
  options: { readonly cut?: boolean } = {},
): Promise<EpochRecord[]> {
  return meta.version === 1
    ? Promise.resolve([...meta.history])
    : readHistory(dir, meta.epochsCompleted, options);
}

function withHistory(meta: StoredCheckpointMeta, history: readonly EpochRecord[]): CheckpointMeta {
  const { history: _h, ...rest } = meta as StoredCheckpointMeta & { history?: unknown };
  return { ...rest, history };
}

export function checkVersion(meta: StoredCheckpointMeta, file: string): void {
  const version = (meta as { version?: unknown } | null)?.version;
  if (version !== FORMAT_VERSION && version !== 1) {
    throw new SpecError(
      `checkpoint format version ${String(version)} is not supported (expected 1 or ${FORMAT_VERSION})`,
      { file, field: 'version' },
    );
  }
}

export const CHECKPOINT_VERSION = FORMAT_VERSION;

/** Takes the named tensors out of `tensors`, failing with the file and name when one is missing. */
export function takeTensors(
  tensors: Map<string, tf.Tensor>,
  prefix: string,
  count: number,
  file: string,
): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}/${i}`;
    const t = tensors.get(name);
    if (!t) throw new SpecError(`checkpoint has no tensor "${name}"`, { file, field: name });
    tensors.delete(name);
    out.push(t);
  }
  return out;
}
