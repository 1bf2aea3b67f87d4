export {
  type Arm,
  armOf,
  type Cell,
  type CellEffect,
  type Claim,
  type ClaimEvidence,
  type ClaimThresholds,
  cellEffect,
  DEFAULT_CLAIM_THRESHOLDS,
  evaluateClaims,
  experimentOf,
  groupCells,
  loadRunSeries,
  lossLabel,
  PAPER_LOSSES,
  primaryStatistic,
  type RunSeries,
  ratioLabel,
  type SeedEffect,
  testsPaperClaims,
  type Verdict,
  weightRatio,
} from './claims.js';
export { expandGrid, type GridAxis, type GridPoint, mergeDeep, setPath } from './grid.js';
export {
  childEnvironment,
  type TrialEvents,
  TrialPool,
  type TrialPoolOptions,
  type TrialRequest,
} from './pool.js';
export {
  DEFAULT_MARGIN_TOLERANCE,
  DEFAULT_SETTLE_TOLERANCE,
  evaluatePredictions,
  type MarginConvergence,
  marginConvergence,
  type SettlingTime,
  settlingTimes,
} from './predictions.js';
export { type RunOptions, type RunOutcome, runExperiment } from './runner.js';
export {
  type CifarDataSpec,
  canonicalJson,
  type DataSpec,
  dataShape,
  type ExperimentSpec,
  type ExperimentSpecInput,
  experimentSpecSchema,
  type LrSpecInput,
  MARGINS_SPLIT,
  resolveSpec,
  runId,
  type SyntheticDataSpec,
} from './spec.js';
export {
  type ArtifactRow,
  type BeginResult,
  type EpochRow,
  FINISHED_STATUSES,
  type ImportResult,
  type RunEnvironment,
  type RunRecord,
  RunStore,
  type StoredRun,
} from './store.js';
export {
  planSweep,
  runSweep,
  type SweepEvent,
  type SweepOptions,
  type SweepResult,
} from './sweep.js';
