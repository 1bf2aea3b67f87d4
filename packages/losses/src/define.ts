// What a loss is, for the registry and the conformance kit: a name, a one-line description, a
// parameter schema with defaults, the properties it claims (the kit checks them), and a factory
// that turns validated parameters into a `WeightedLoss`.

import type { LossContext, WeightedLoss } from '@iwlab/core';
import type { z } from 'zod';

/** What a loss may know when it is created: the class (and group) structure of the training set. */
export type LossSetup = Pick<LossContext, 'numClasses' | 'classCounts' | 'groupCounts'>;

/** Logit layouts a loss accepts. */
export type LogitLayout =
  /** [B, 1] (one sigmoid logit s, margin ỹ·s) or [B, 2] (margin ỹ·(z_1 - z_0)); labels 0/1. */
  | 'binary'
  /** [B, K], K ≥ 2, labels 0..K-1. */
  | 'multiclass'
  /** Either of the above. */
  | 'any';

/** What the loss needs beyond logits and labels; the kit checks that a missing one fails clearly. */
export type LossRequirement =
  /** `classCounts` at creation (LDAM, VS, logit adjustment, balanced softmax). */
  | 'classCounts'
  /** `ctx.group` on every call (Group DRO). */
  | 'groups';

/**
 * Claims a loss makes about itself. The conformance kit tests every claim that is `true`; `false`
 * means "not claimed", not "known to fail".
 */
export interface LossProperties {
  readonly logits: LogitLayout;
  readonly requires?: readonly LossRequirement[];
  /** ℓ ≥ 0 everywhere. */
  readonly nonNegative: boolean;
  /** ℓ(z + c·1) = ℓ(z) for any per-example constant c (checked with 2+ logits only). */
  readonly shiftInvariant: boolean;
  /** Moving the logits toward the label (raising z_y, or ỹ·s for one logit) never raises ℓ. */
  readonly monotone: boolean;
  /**
   * Each example's value depends on its own logits and label only. Default true. Group DRO is the
   * exception (it divides by the batch's group counts), so the kit skips the copies check for it.
   */
  readonly perExampleIndependent?: boolean;
  /**
   * Largest |logit| at which values and gradients are finite in float32. Default 1e4. Only a loss
   * that is infinite there by its formula may lower it, and must say so in its description.
   */
  readonly finiteUpTo?: number;
}

/** Parameter schemas are zod objects whose fields all have defaults. */
export type ParamsSchema = z.ZodObject<z.core.$ZodLooseShape, z.core.$ZodObjectConfig>;

export interface LossDefinition<S extends ParamsSchema = ParamsSchema, N extends string = string> {
  /** Registry key, e.g. "poly". Lower-case, digits and dashes. */
  readonly name: N;
  /** One line: what the loss is and where it comes from. */
  readonly description: string;
  /** Parameters with their defaults; `z.strictObject` so a misspelt name is an error. */
  readonly params: S;
  readonly properties: LossProperties;
  /** Builds the loss from validated parameters. Throws SpecError for a bad setup. */
  create(params: z.output<S>, setup: LossSetup): WeightedLoss;
}

/** Identity, for type inference: `export const myLoss = defineLoss({ ... })`. */
export function defineLoss<S extends ParamsSchema, const N extends string>(
  definition: LossDefinition<S, N>,
): LossDefinition<S, N> {
  return definition;
}
