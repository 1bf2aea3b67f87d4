// The built-in losses, in the order `listLosses()` shows them. `npm run new-loss -- <name>` adds
// its import and entry at the two markers below; keep them.

import { balancedSoftmaxLoss, ldamLoss, logitAdjustedLoss, vsLoss } from './losses/class-prior.js';
import { binaryCrossEntropy, softmaxCrossEntropy } from './losses/cross-entropy.js';
import { sigmoidFocalLoss, softmaxFocalLoss } from './losses/focal.js';
import { groupDroLoss } from './losses/group-dro.js';
import {
  exponentialLoss,
  hingeLoss,
  multiclassHingeLoss,
  squaredLoss,
  squaredOneHotLoss,
} from './losses/margin.js';
import { polyLoss } from './losses/poly.js';
// new-loss:imports

export const BUILTIN_LOSSES = [
  softmaxCrossEntropy,
  binaryCrossEntropy,
  hingeLoss,
  multiclassHingeLoss,
  squaredLoss,
  squaredOneHotLoss,
  exponentialLoss,
  polyLoss,
  ldamLoss,
  logitAdjustedLoss,
  vsLoss,
  softmaxFocalLoss,
  sigmoidFocalLoss,
  balancedSoftmaxLoss,
  groupDroLoss,
  // new-loss:entries
] as const;
