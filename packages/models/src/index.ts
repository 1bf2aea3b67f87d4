export { ZooModel } from './model.js';
export {
  type CreateModelOptions,
  createModel,
  modelKinds,
  parseModelSpec,
} from './registry.js';
export {
  ACTIVATIONS,
  type Activation,
  type CnnSpec,
  INIT_SCHEMES,
  type InitScheme,
  type LogRegSpec,
  type MlpSpec,
  type ResNetSpec,
  type ResolvedCnnSpec,
  type ResolvedLogRegSpec,
  type ResolvedMlpSpec,
  type ResolvedResNetSpec,
  type ResolvedTextSpec,
  type ResolvedZooSpec,
  type TextSpec,
  type ZooSpec,
  type ZooSpecBase,
} from './spec.js';
export {
  formatSummary,
  type LayerSummary,
  type ModelSummary,
  type RegularizationSummary,
} from './summary.js';
export {
  type DecodedWeights,
  decodeWeights,
  encodeWeights,
  loadModel,
  loadWeights,
  restoreWeights,
  saveWeights,
} from './weights-file.js';
