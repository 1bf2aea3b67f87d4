// Name → loss. `createLoss` is the one way a spec (JSON, CLI flags) turns into a loss: it checks
// the name, validates the parameters against the loss's schema (filling defaults) and checks the
// setup, and every failure is a SpecError naming the field and what was expected.

import type { WeightedLoss } from '@iwlab/core';
import type { z } from 'zod';
import { BUILTIN_LOSSES } from './catalogue.js';
import type { LossDefinition, LossSetup } from './define.js';
import { instantiateByName, registerLoss } from './lookup.js';

type Builtin = (typeof BUILTIN_LOSSES)[number];
/** Names of the built-in losses. */
export type BuiltinLossName = Builtin['name'];
/** The parameters `createLoss(name, params)` accepts for a built-in loss (all optional). */
export type LossParams<N extends BuiltinLossName> = z.input<
  Extract<Builtin, { name: N }>['params']
>;

for (const definition of BUILTIN_LOSSES) registerLoss(definition as LossDefinition);

export {
  getLossDefinition,
  instantiateLoss,
  listLosses,
  parseLossParams,
  registerLoss,
} from './lookup.js';

/**
 * Creates a registered loss. `params` may omit any parameter (defaults fill in); `context` is the
 * training set's structure (numClasses, classCounts, groupCounts).
 *
 * @example createLoss('poly', { alpha: 2 }, { numClasses: 2 })
 */
export function createLoss<N extends string>(
  name: N,
  params: (N extends BuiltinLossName ? LossParams<N> : Record<string, unknown>) | undefined,
  context: LossSetup,
): WeightedLoss {
  return instantiateByName(name, params as Record<string, unknown> | undefined, context);
}
