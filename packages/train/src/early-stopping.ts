// Patience-based early stopping that keeps a device-side copy of the best weights, so restoring
// them needs no read-back; its state (including those weights) goes into checkpoints.
import type { TrainableModel } from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { copyWeights } from './internal/model-weights.js';
import type { EarlyStoppingOptions, EpochRecord } from './types.js';

export interface EarlyStoppingState {
  readonly best: number | null;
  readonly bestEpoch: number;
  readonly wait: number;
  readonly stopped: boolean;
}

export function validateEarlyStopping(options: EarlyStoppingOptions, setNames: readonly string[]) {
  const field = 'earlyStopping';
  if (options.mode !== 'min' && options.mode !== 'max') {
    throw new SpecError(`must be "min" or "max", got ${String(options.mode)}`, {
      field: `${field}.mode`,
    });
  }
  if (!Number.isInteger(options.patience) || options.patience < 0) {
    throw new SpecError(`must be an integer >= 0, got ${options.patience}`, {
      field: `${field}.patience`,
    });
  }
  if (options.minDelta !== undefined && !(options.minDelta >= 0)) {
    throw new SpecError(`must be >= 0, got ${options.minDelta}`, { field: `${field}.minDelta` });
  }
  if (options.set !== undefined && !setNames.includes(options.set)) {
    throw new SpecError(
      `no evaluation set named "${options.set}"; sets are: ${setNames.join(', ') || '(none)'}`,
      { field: `${field}.set` },
    );
  }
}

export class EarlyStopping {
  #state: EarlyStoppingState = { best: null, bestEpoch: -1, wait: 0, stopped: false };
  #bestWeights: tf.Tensor[] | null = null;
  constructor(readonly options: EarlyStoppingOptions) {}

  get state(): EarlyStoppingState {
    return this.#state;
  }
  get bestWeights(): readonly tf.Tensor[] | null {
    return this.#bestWeights;
  }

  /** The watched value in `record`, or undefined when this epoch was not evaluated. */
  watched(record: EpochRecord): number | undefined {
    const { set, metric } = this.options;
    const values = set === undefined ? { loss: record.loss, ...record.train } : record.eval?.[set];
    if (values === undefined) return undefined;
    const value = values[metric];
    if (value === undefined) {
      throw new SpecError(
        `metric "${metric}" is not among ${set === undefined ? 'the training values' : `set "${set}"'s values`}: ${Object.keys(values).join(', ')}`,
        { field: 'earlyStopping.metric', epoch: record.epoch },
      );
    }
    return value;
  }

  /** Updates the state with `record`; returns true when the run should stop now. */
  observe(record: EpochRecord, model: TrainableModel): boolean {
    const value = this.watched(record);
    if (value === undefined) return false;
    const { best } = this.#state;
    const delta = this.options.minDelta ?? 0;
    const improved =
      !Number.isNaN(value) &&
      (best === null ||
        (this.options.mode === 'max' ? value > best + delta : value < best - delta));
    if (improved) {
      this.#state = { best: value, bestEpoch: record.epoch, wait: 0, stopped: false };
      if (this.options.restoreBest ?? true) {
        const next = copyWeights(model);
        if (this.#bestWeights) tf.dispose(this.#bestWeights);
        this.#bestWeights = next;
      }
      return false;
    }
    const wait = this.#state.wait + 1;
    const stopped = wait >= this.options.patience;
    this.#state = { ...this.#state, wait, stopped };
    return stopped;
  }

  /** Puts the best weights back; returns the epoch they came from, or undefined if none. */
  restore(model: TrainableModel): number | undefined {
    if (!this.#bestWeights) return undefined;
    model.setWeights(this.#bestWeights);
    return this.#state.bestEpoch;
  }

  /** Restores a checkpointed state; takes ownership of `bestWeights`. */
  load(state: EarlyStoppingState, bestWeights: tf.Tensor[] | null): void {
    this.dispose();
    this.#state = state;
    this.#bestWeights = bestWeights;
  }

  dispose(): void {
    if (this.#bestWeights) tf.dispose(this.#bestWeights);
    this.#bestWeights = null;
  }
}
