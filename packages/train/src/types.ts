import type {
  BatchStream,
  DivergedError,
  EvalSet,
  Metric,
  MetricValues,
  Reduction,
  RunStatus,
  TrainableModel,
  WeightedLoss,
} from '@iwlab/core';
import type { GradientClip } from './clip.js';
import type { OptimizerSpec } from './optimizers.js';
import type { WeightPhase, WeightRule } from './weighting.js';

/** A run's status as the loop reports it: a store's RunStatus, plus 'aborted' (resumable). */
export type TrainStatus = RunStatus | 'aborted';

/** One finished epoch, as recorded in the history and in checkpoints. */
export interface EpochRecord {
  /** 0-based epoch index. */
  readonly epoch: number;
  /** Optimizer steps completed since the start of the run, after this epoch. */
  readonly steps: number;
  /** Learning rate at the start of the epoch. */
  readonly lr: number;
  /** Mean over the epoch's batches of the weighted, reduced data loss (without the L2 penalty). */
  readonly loss: number;
  /** `trainMetrics` over the epoch's training batches (training-mode logits, as the step saw them). */
  readonly train: MetricValues;
  /** Metric values per evaluation set, on the epochs that were evaluated. */
  readonly eval?: Readonly<Record<string, MetricValues>>;
  /** Wall-clock seconds for the epoch (training + evaluation). Not part of any comparison. */
  readonly seconds: number;
}

export interface EvaluationOptions {
  readonly sets: readonly EvalSet[];
  readonly metrics: readonly Metric<unknown>[];
  /** Evaluate every k epochs (default 1). The last epoch is always evaluated. */
  readonly every?: number;
}

export interface EarlyStoppingOptions {
  /** Evaluation set whose metric is watched; omit to watch the training record (`loss` or a train metric). */
  readonly set?: string;
  /** Key of the watched value, e.g. "accuracy" or "loss". */
  readonly metric: string;
  readonly mode: 'min' | 'max';
  /** Stop after this many evaluations in a row without an improvement of more than `minDelta` (Keras semantics). */
  readonly patience: number;
  readonly minDelta?: number;
  /** Put the best weights back when the run ends (default true). */
  readonly restoreBest?: boolean;
}

export interface CheckpointOptions {
  /** Directory for `checkpoint.iwckpt` (created if missing). */
  readonly dir: string;
  /** Write after every N epochs (the last epoch is always written). */
  readonly every: number;
}

/**
 * A loss or model with state that is not one of the model's weights can expose it for
 * checkpoints; the value must be JSON-serializable. Without these methods the loop still saves
 * the two kinds it knows: a model's `dropoutStep` (@iwlab/models) and a loss's
 * `groupWeights()`/`setGroupWeights()` (Group DRO's q in @iwlab/losses).
 */
export interface CheckpointableState {
  checkpointState(): unknown;
  restoreState(state: unknown): void;
}

export type Awaitable<T = void> = T | Promise<T>;

export interface StatusEvent {
  readonly status: TrainStatus;
  /** Epoch the status applies to (for 'diverged': the epoch that diverged). */
  readonly epoch: number;
  /** Global step (for 'diverged': the first step whose objective was not finite). */
  readonly step: number;
  readonly error?: Error;
}

export interface BatchEndEvent {
  readonly epoch: number;
  readonly step: number;
  readonly stepInEpoch: number;
  /** Reads this step's reduced data loss back from the backend: only callbacks that call it pay for it. */
  readLoss(): Promise<number>;
}

export interface EpochStartEvent {
  readonly epoch: number;
  readonly lr: number;
}

export interface EpochEndEvent {
  readonly record: EpochRecord;
}

export interface EvaluationEvent {
  readonly epoch: number;
  readonly results: Readonly<Record<string, MetricValues>>;
}

export interface CheckpointEvent {
  readonly epoch: number;
  readonly path: string;
}

export interface WeightsChangeEvent {
  readonly epoch: number;
  /** Index into `weighting`, or -1 for the batch's own weights. */
  readonly phase: number;
  readonly rule: WeightRule;
}

/** Subscribers to the loop's events; every handler may be async and is awaited in order. */
export interface TrainCallbacks {
  onStatus?(event: StatusEvent): Awaitable;
  onEpochStart?(event: EpochStartEvent): Awaitable;
  onBatchEnd?(event: BatchEndEvent): Awaitable;
  onEpochEnd?(event: EpochEndEvent): Awaitable;
  onEvaluation?(event: EvaluationEvent): Awaitable;
  onCheckpoint?(event: CheckpointEvent): Awaitable;
  onWeightsChange?(event: WeightsChangeEvent): Awaitable;
}

export interface TrainOptions {
  readonly model: TrainableModel;
  /** Any core WeightedLoss; it returns unweighted per-example values. */
  readonly loss: WeightedLoss;
  /** How Σ wᵢℓᵢ becomes the objective: always named, never defaulted. */
  readonly reduction: Reduction;
  readonly data: BatchStream;
  readonly optimizer: OptimizerSpec;
  readonly epochs: number;
  /** Seeds the loop's own RNG (handed to function weight rules); checkpointed. */
  readonly seed: number;
  /** Update the learning rate every epoch (default) or every step (fractional epoch). */
  readonly lrUpdate?: 'epoch' | 'step';
  readonly gradientClip?: GradientClip;
  /** Weights by epoch: the DRW hook. Without it every step uses the batch's weights. */
  readonly weighting?: readonly WeightPhase[];
  /** Training-set counts per class / group, handed to the loss (LDAM, VS, Group DRO). */
  readonly classCounts?: readonly number[];
  readonly groupCounts?: readonly number[];
  /** Metrics accumulated over the training batches (no extra forward pass). */
  readonly trainMetrics?: readonly Metric<unknown>[];
  readonly evaluate?: EvaluationOptions;
  readonly earlyStopping?: EarlyStoppingOptions;
  /** Also check for a non-finite objective every N steps (always checked once per epoch). */
  readonly checkNonFiniteEvery?: number;
  readonly checkpoint?: CheckpointOptions;
  /** Continue from `checkpoint.dir`'s checkpoint when there is one (start fresh when not). */
  readonly resume?: boolean;
  readonly callbacks?: TrainCallbacks | readonly TrainCallbacks[];
  /** Stops the run before the next step; the result's status is 'aborted'. */
  readonly signal?: AbortSignal;
}

export interface TrainResult {
  readonly status: Exclude<TrainStatus, 'running' | 'failed'>;
  /** Every finished epoch, including those restored from a checkpoint. */
  readonly history: readonly EpochRecord[];
  /** Epochs finished (the next epoch to run). */
  readonly epochsCompleted: number;
  readonly steps: number;
  /** Set when status is 'diverged'. */
  readonly diverged?: {
    readonly epoch: number;
    readonly step: number;
    readonly error: DivergedError;
  };
  /** Set when early stopping ended the run. */
  readonly stoppedEarly?: {
    readonly epoch: number;
    readonly bestEpoch: number;
    readonly best: number;
  };
  /** Epoch whose weights the model holds at the end, when early stopping restored them. */
  readonly restoredEpoch?: number;
  /** Epochs restored from a checkpoint at the start (0 when the run started fresh). */
  readonly resumedEpochs: number;
}
