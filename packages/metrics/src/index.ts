export {
  type BoundaryAngleOptions,
  boundaryAngle,
  decisionBoundaryGrid,
  type GridOptions,
  linearBoundaryNormal,
  type ProbabilityGrid,
} from './boundary.js';
export {
  type CalibrationOptions,
  type CalibrationState,
  expectedCalibrationError,
} from './calibration.js';
export {
  type ClassificationOptions,
  type ConfusionState,
  classificationMetrics,
  confusionMatrixFrom,
  fractionPredicted,
} from './classification.js';
export {
  type EvaluateOptions,
  evaluate,
  evaluateSets,
  type Predictor,
  withPrefix,
} from './evaluate.js';
export { type GroupAccuracyOptions, type GroupState, groupAccuracy } from './groups.js';
export {
  exampleMargins,
  type MarginNormalization,
  type MarginOptions,
  type MarginState,
  marginDenominator,
  marginMetrics,
} from './margins.js';
export { type RiskState, type WeightedRiskOptions, weightedRisk } from './risk.js';
export { type MaxMarginOptions, type MaxMarginSeparator, maxMarginSeparator } from './svm.js';
export {
  earlyPeak,
  settledFrom,
  type WeightEffect,
  type WeightEffectOptions,
  type WeightRun,
  weightEffect,
} from './weight-effect.js';
