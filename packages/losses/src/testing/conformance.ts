// The conformance kit: one call runs every check a loss must pass, for built-in losses and for
// contributed ones alike. Checks read values back (they are tests, not training code) and run on
// whatever tfjs backend is active; set one (e.g. 'cpu') before calling.

import type { LossContext, WeightedLoss } from '@iwlab/core';
import { IwlabError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LossDefinition, LossSetup, ParamsSchema } from '../define.js';
import { instantiateLoss, parseLossParams } from '../registry.js';
import {
  type Check,
  close,
  copies,
  deterministic,
  finiteAtExtremes,
  gradientMatchesDifferences,
  list,
  monotone,
  noLeaks,
  nonNegative,
  outputShape,
  type Settings,
  shiftInvariant,
  zeroWeights,
} from './checks.js';
import { makeFixture, widthsFor } from './fixtures.js';
import { ensureGradients } from './gradients.js';
import { contextFor, makeRunner } from './runner.js';

/** A known value of the loss: per-example expected values for given logits and labels. */
export interface LossTestVector {
  /** Where the numbers come from, e.g. "reference B.17" or "hand-computed". */
  readonly source: string;
  readonly params?: Record<string, unknown>;
  /** Setup for this vector; defaults to numClasses = max(2, logit width) and no counts. */
  readonly setup?: LossSetup;
  readonly logits: readonly (readonly number[])[];
  readonly labels: readonly number[];
  /** Group ids, for losses that require groups. */
  readonly groups?: readonly number[];
  readonly expected: readonly number[];
  /** Allowed |value - expected| / max(1, |expected|). Default 1e-5. */
  readonly tolerance?: number;
}

export interface ConformanceOptions {
  /** Parameters for the loss under test (defaults otherwise). */
  readonly params?: Record<string, unknown>;
  /** Overrides of the generated setup (class and group counts). */
  readonly setup?: Partial<LossSetup>;
  readonly vectors?: readonly LossTestVector[];
  /** Seed of the generated logits, labels and groups. Default 1. */
  readonly seed?: number;
  /** Examples per generated batch. Default 6. */
  readonly batchSize?: number;
  /** Standard deviation of the generated logits. Default 1.5; lower it for large logit scales. */
  readonly logitScale?: number;
  /** Step of the central differences. Default 1e-2 (float32 arithmetic). */
  readonly finiteDifferenceStep?: number;
  /** Allowed |autodiff - differences| / max(1, |differences|). Default 2e-2. */
  readonly gradientTolerance?: number;
}

export interface CheckResult {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

async function runCheck(name: string, body: () => Promise<string | null>): Promise<CheckResult> {
  try {
    const failure = await body();
    return { check: name, ok: failure === null, detail: failure ?? 'ok' };
  } catch (error) {
    return {
      check: name,
      ok: false,
      detail: `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    };
  }
}

/** Runs every check on `definition` and returns one result per check (and per logit width). */
export async function checkLossConformance<S extends ParamsSchema>(
  definition: LossDefinition<S>,
  options: ConformanceOptions = {},
): Promise<CheckResult[]> {
  await ensureGradients();
  const props = definition.properties;
  const seed = options.seed ?? 1;
  const batchSize = options.batchSize ?? 6;
  const logitScale = options.logitScale ?? 1.5;
  const o: Settings = {
    finiteDifferenceStep: options.finiteDifferenceStep ?? 1e-2,
    gradientTolerance: options.gradientTolerance ?? 2e-2,
    finiteLimit: props.finiteUpTo ?? 1e4,
    perExampleIndependent: props.perExampleIndependent ?? true,
  };
  const results: CheckResult[] = [];
  results.push(
    await runCheck('describes itself', async () => {
      if (!/^[a-z][a-z0-9-]*$/.test(definition.name))
        return `name "${definition.name}" is not lower-case-with-dashes`;
      if (definition.description.trim().length === 0 || definition.description.includes('\n')) {
        return 'description must be one non-empty line';
      }
      parseLossParams(definition, {});
      return null;
    }),
  );

  for (const width of widthsFor(props.logits)) {
    const fixture = makeFixture(width, batchSize, seed, logitScale, options.setup);
    const at = (name: string) => `${name} (${width} logit${width > 1 ? 's' : ''})`;
    let loss: WeightedLoss;
    try {
      loss = instantiateLoss(definition, options.params, fixture.setup);
    } catch (error) {
      results.push({ check: at('creates'), ok: false, detail: String(error) });
      continue;
    }
    const runner = makeRunner(loss, fixture);
    // A first call lets lazily created state (e.g. Group DRO's q) exist before leaks are counted.
    results.push(
      await runCheck(at('runs'), async () => {
        await runner.values(fixture.logits);
        return null;
      }),
    );
    const checks: [string, Check][] = [
      ['output shape [B] float32', outputShape],
      ['deterministic', deterministic],
      ['no leaked tensors', noLeaks],
      [`finite values and gradients at logits ±${o.finiteLimit}`, finiteAtExtremes],
      ['gradient matches central differences', gradientMatchesDifferences],
      ['zero-weight examples contribute nothing', zeroWeights],
    ];
    if (o.perExampleIndependent) checks.push(['weight k equals k copies (sum)', copies]);
    if (props.nonNegative) checks.push(['non-negative (declared)', nonNegative]);
    if (props.shiftInvariant && width >= 2)
      checks.push(['shift-invariant (declared)', shiftInvariant]);
    if (props.monotone) checks.push(['monotone toward the label (declared)', monotone]);
    for (const [name, check] of checks)
      results.push(await runCheck(at(name), () => check(runner, o)));
    (loss as { dispose?: () => void }).dispose?.();
  }

  results.push(...(await requirementChecks(definition, options)));
  results.push(...(await layoutChecks(definition, options)));
  for (const [index, vector] of (options.vectors ?? []).entries()) {
    results.push(
      await runCheck(`test vector ${index + 1} (${vector.source})`, () =>
        checkVector(definition, vector),
      ),
    );
  }
  return results;
}

async function requirementChecks<S extends ParamsSchema>(
  definition: LossDefinition<S>,
  options: ConformanceOptions,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const requires = definition.properties.requires ?? [];
  const width = widthsFor(definition.properties.logits).at(-1) as number;
  if (requires.includes('classCounts')) {
    results.push(
      await runCheck('without classCounts: SpecError naming context.classCounts', async () => {
        try {
          instantiateLoss(definition, options.params, { numClasses: Math.max(2, width) });
        } catch (error) {
          if (error instanceof SpecError && error.where.field?.startsWith('context.classCounts'))
            return null;
          return `threw ${String(error)}`;
        }
        return 'created the loss anyway';
      }),
    );
  }
  if (requires.includes('groups')) {
    results.push(
      await runCheck('without ctx.group: SpecError naming context.group', async () => {
        const fixture = makeFixture(width, 4, 1, 1, options.setup);
        const loss = instantiateLoss(definition, options.params, fixture.setup);
        try {
          tf.tidy(() =>
            loss.perExample(
              tf.tensor2d(fixture.logits),
              tf.tensor1d(fixture.labels, 'int32'),
              fixture.context,
            ),
          );
        } catch (error) {
          if (error instanceof SpecError && error.where.field === 'context.group') return null;
          return `threw ${String(error)}`;
        } finally {
          (loss as { dispose?: () => void }).dispose?.();
        }
        return 'ran without group ids';
      }),
    );
  }
  return results;
}

async function layoutChecks<S extends ParamsSchema>(
  definition: LossDefinition<S>,
  options: ConformanceOptions,
): Promise<CheckResult[]> {
  const layout = definition.properties.logits;
  if (layout === 'any') return [];
  const width = layout === 'binary' ? 3 : 1;
  return [
    await runCheck(
      `rejects ${width} logit${width > 1 ? 's' : ''} with a SpecError naming logits`,
      async () => {
        const fixture = makeFixture(width, 4, 1, 1, {
          ...options.setup,
          numClasses: Math.max(2, width),
        });
        const loss = instantiateLoss(definition, options.params, fixture.setup);
        try {
          tf.tidy(() =>
            loss.perExample(
              tf.tensor2d(fixture.logits),
              tf.tensor1d(
                fixture.labels.map((y) => Math.min(y, 1)),
                'int32',
              ),
              contextFor(fixture, fixture.groups),
            ),
          );
        } catch (error) {
          if (error instanceof IwlabError && error.where.field === 'logits') return null;
          return `threw ${String(error)}`;
        } finally {
          (loss as { dispose?: () => void }).dispose?.();
        }
        return 'accepted them';
      },
    ),
  ];
}

async function checkVector<S extends ParamsSchema>(
  definition: LossDefinition<S>,
  vector: LossTestVector,
): Promise<string | null> {
  const width = vector.logits[0]?.length ?? 0;
  const setup = vector.setup ?? { numClasses: Math.max(2, width) };
  const loss = instantiateLoss(definition, vector.params, setup);
  const ctx: LossContext = {
    ...setup,
    epoch: 0,
    step: 0,
    ...(vector.groups ? { group: tf.tensor1d(vector.groups as number[], 'int32') } : {}),
  };
  const out = tf.tidy(() =>
    loss.perExample(
      tf.tensor2d(vector.logits as number[][], [vector.logits.length, width]),
      tf.tensor1d(vector.labels as number[], 'int32'),
      ctx,
    ),
  );
  const got = await out.data();
  out.dispose();
  ctx.group?.dispose();
  (loss as { dispose?: () => void }).dispose?.();
  const tol = vector.tolerance ?? 1e-5;
  const bad = vector.expected.findIndex((e, i) => !close(got[i] as number, e, tol));
  return bad === -1 ? null : `expected ${list(vector.expected)}, got ${list(got)}`;
}

/**
 * Runs `checkLossConformance` and throws one error listing every failed check. The one call a
 * loss's test needs: `it('conforms', () => assertLossConforms(myLoss, { vectors }))`.
 */
export async function assertLossConforms<S extends ParamsSchema>(
  definition: LossDefinition<S>,
  options: ConformanceOptions = {},
): Promise<CheckResult[]> {
  const results = await checkLossConformance(definition, options);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    const lines = failed.map((r) => `  ✗ ${r.check}: ${r.detail}`);
    throw new Error(
      `loss "${definition.name}" failed ${failed.length} of ${results.length} conformance checks:\n${lines.join('\n')}`,
    );
  }
  return results;
}
