export {
  classCounts,
  exampleSize,
  type FeatureArray,
  groupCounts,
  type ImageData,
  indicesByClass,
  type LabeledData,
  numExamples,
  selectExamples,
} from './dataset.js';
export {
  type BatchStreamOptions,
  CIFAR_HALF,
  CIFAR_MEAN_STD,
  type Preprocess,
  SCALE_01,
  toBatchStream,
  toEvalSet,
} from './pipeline.js';
export { balancedSubsampleIndices, resampleIndices, undersampleIndices } from './samplers.js';
export {
  type SubsampleResult,
  stratifiedSplit,
  subsampleClasses,
  subsampleToRatio,
  withGroups,
} from './shift.js';
export {
  type MoonsOptions,
  moons,
  type OverlappingGaussiansOptions,
  overlappingGaussians,
  type SeparableGaussiansOptions,
  type SyntheticOptions,
  separableGaussians,
} from './synthetic.js';
export {
  type ClassWeightOptions,
  type ClassWeightSpec,
  classWeights,
  densityRatioWeights,
  effectiveNumberWeights,
  exampleWeightsFromClasses,
  inverseFrequencyWeights,
  normalizeClassWeights,
  normalizeExampleWeights,
  PAPER_WEIGHT_RATIOS,
  powerWeights,
  ratioClassWeights,
} from './weights.js';
