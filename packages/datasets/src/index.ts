export { ADULT_COLUMNS, type AdultData, loadAdult } from './adult.js';
export {
  CAT_DOG_CLASS_NAMES,
  type CatDogOptions,
  type CatDogSource,
  type CatDogTask,
  loadCatDog,
  uniformNoiseImages,
} from './cifar/catdog.js';
export {
  CIFAR10_BINARY_MD5,
  CIFAR10_BINARY_URL,
  CIFAR10_RECORD_FILES,
  type DownloadCifarOptions,
  downloadCifar10,
} from './cifar/download.js';
export {
  CIFAR_RECORD_BYTES,
  CIFAR10_CLASSES,
  type CifarRecords,
  type ReadCifarOptions,
  readCifarRecords,
} from './cifar/records.js';
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
export { type ImageFolderOptions, readImageFolder } from './images/folder.js';
export type { Checksum } from './internal/download.js';
export { resolveDataDir } from './internal/io.js';
export { type IdxArray, loadMnist, type MnistOptions, parseIdx, readIdxFile } from './mnist.js';
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
  loadSmsSpam,
  loadSst2,
  type SmsSpamOptions,
  type TextFeatureOptions,
  type TextSplit,
  textFeatures,
} from './text/corpora.js';
export {
  bagOfWords,
  PAD_TOKEN,
  padSequences,
  tokenize,
  UNK_TOKEN,
  Vocabulary,
  type VocabularyOptions,
} from './text/vocabulary.js';
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
