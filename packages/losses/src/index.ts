export { BUILTIN_LOSSES } from './catalogue.js';
export type {
  LogitLayout,
  LossDefinition,
  LossProperties,
  LossRequirement,
  LossSetup,
  ParamsSchema,
} from './define.js';
export { defineLoss } from './define.js';
export type { DeferredReweighting, DeferredReweightingOptions } from './drw.js';
export { deferredReweighting } from './drw.js';
export {
  adjustLogits,
  balancedSoftmaxLoss,
  ldamLoss,
  ldamMargins,
  logitAdjustedLoss,
  vsLoss,
  vsParameters,
} from './losses/class-prior.js';
export { binaryCrossEntropy, softmaxCrossEntropy } from './losses/cross-entropy.js';
export { sigmoidFocalLoss, softmaxFocalLoss } from './losses/focal.js';
export type { GroupDroLoss } from './losses/group-dro.js';
export { groupDroLoss } from './losses/group-dro.js';
export {
  exponentialLoss,
  hingeLoss,
  multiclassHingeLoss,
  squaredLoss,
  squaredOneHotLoss,
} from './losses/margin.js';
export type { PolyType } from './losses/poly.js';
export { polyLoss, polyTail } from './losses/poly.js';
export { weightedReduce } from './reduce.js';
export type { BuiltinLossName, LossParams } from './registry.js';
export {
  createLoss,
  getLossDefinition,
  instantiateLoss,
  listLosses,
  parseLossParams,
  registerLoss,
} from './registry.js';
