// The conformance kit: one call runs every check a loss must pass, for built-in losses and for
// contributed ones alike. Checks read values back (they are tests, not training code) and run on
// whatever tfjs backend is active; set one (e.g. 'cpu') before calling.

import type { LossContext, WeightedLoss } from '@iwlab/core';
import { IwlabError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LossDefinition, LossSetup, ParamsSchema } from '../define.js';
import { weightedReduce } from '../reduce.js';
import { instantiateLoss, parseLossParams } from '../registry.js';
import { extremeLogits, type Fixture, makeFixture, widthsFor } from './fixtures.js';
import { ensureGradients } from './gradients.js';

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

interface Runner {
  readonly loss: WeightedLoss;
  readonly fixture: Fixture;
  values(
    logits: readonly (readonly number[])[],
    labels?: readonly number[],
    groups?: readonly number[],
  ): Promise<Float32Array>;
  gradient(
    logits: readonly (readonly number[])[],
    coefficients: readonly number[],
  ): Promise<{ value: number; grad: Float32Array }>;
}

function contextFor(fixture: Fixture, groups: readonly number[]): LossContext {
  return { ...fixture.context, group: tf.tensor1d(groups as number[], 'int32') };
}

function makeRunner(loss: WeightedLoss, fixture: Fixture): Runner {
  return {
    loss,
    fixture,
    async values(logits, labels = fixture.labels, groups = fixture.groups) {
      const out = tf.tidy(() =>
        loss.perExample(
          tf.tensor2d(logits as number[][], [logits.length, fixture.width]),
          tf.tensor1d(labels as number[], 'int32'),
          contextFor(fixture, groups),
        ),
      );
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
    async gradient(logits, coefficients) {
      const { value, grad } = tf.tidy(() => {
        const y = tf.tensor1d(fixture.labels, 'int32');
        const c = tf.tensor1d(coefficients as number[]);
        const ctx = contextFor(fixture, fixture.groups);
        const f = (z: tf.Tensor) => tf.sum(tf.mul(loss.perExample(z as tf.Tensor2D, y, ctx), c));
        const { value, grad } = tf.valueAndGrad(f)(
          tf.tensor2d(logits as number[][], [logits.length, fixture.width]),
        );
        return { value, grad };
      });
      try {
        return {
          value: (await value.data())[0] as number,
          grad: (await grad.data()) as Float32Array,
        };
      } finally {
        value.dispose();
        grad.dispose();
      }
    },
  };
}

const close = (a: number, b: number, tol: number) =>
  Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6));
const list = (v: ArrayLike<number>) => `[${Array.from(v, fmt).join(', ')}]`;

interface Settings {
  readonly finiteDifferenceStep: number;
  readonly gradientTolerance: number;
  /** |logit| of the extreme-logit checks: the loss's `finiteUpTo`, default 1e4. */
  readonly finiteLimit: number;
  readonly perExampleIndependent: boolean;
}

type Check = (r: Runner, o: Settings) => Promise<string | null>;

// Each check returns null when it passes, or a sentence saying what failed.

const outputShape: Check = async (r) => {
  const out = tf.tidy(() =>
    r.loss.perExample(
      tf.tensor2d(r.fixture.logits),
      tf.tensor1d(r.fixture.labels, 'int32'),
      contextFor(r.fixture, r.fixture.groups),
    ),
  );
  const shape = out.shape;
  const dtype = out.dtype;
  out.dispose();
  const b = r.fixture.logits.length;
  if (shape.length !== 1 || shape[0] !== b)
    return `expected shape [${b}], got [${shape.join(', ')}]`;
  if (dtype !== 'float32') return `expected float32 values, got ${dtype}`;
  return null;
};

const deterministic: Check = async (r) => {
  const a = await r.values(r.fixture.logits);
  const b = await r.values(r.fixture.logits);
  return a.every((v, i) => Object.is(v, b[i])) ? null : `two calls gave ${list(a)} and ${list(b)}`;
};

const noLeaks: Check = async (r) => {
  // Outside any tidy, as a trainer may call it: every intermediate must be freed by the loss.
  const z = tf.tensor2d(r.fixture.logits);
  const y = tf.tensor1d(r.fixture.labels, 'int32');
  const g = tf.tensor1d(r.fixture.groups, 'int32');
  const before = tf.memory().numTensors;
  const out = r.loss.perExample(z, y, { ...r.fixture.context, group: g });
  out.dispose();
  const after = tf.memory().numTensors;
  tf.dispose([z, y, g]);
  return after === before
    ? null
    : `${after - before} tensors left allocated by one call (wrap the body in tf.tidy)`;
};

const finiteAtExtremes: Check = async (r, o) => {
  const limit = o.finiteLimit;
  const z = extremeLogits(r.fixture.width, r.fixture.labels, limit);
  const values = await r.values(z);
  if (!values.every(Number.isFinite)) return `values at logits ±${limit}: ${list(values)}`;
  const { grad } = await r.gradient(
    z,
    r.fixture.labels.map(() => 1),
  );
  if (!grad.every(Number.isFinite)) return `gradient at logits ±${limit}: ${list(grad)}`;
  return null;
};

const gradientMatchesDifferences: Check = async (r, o) => {
  const z = r.fixture.logits;
  // Distinct coefficients per example, so a gradient routed to the wrong row is caught.
  const coefficients = z.map((_, i) => 0.5 + i / z.length);
  const { grad } = await r.gradient(z, coefficients);
  const total = async (row: number, col: number, delta: number) => {
    const shifted = z.map((zr, i) => zr.map((v, j) => (i === row && j === col ? v + delta : v)));
    const values = await r.values(shifted);
    return values.reduce((s, v, i) => s + v * (coefficients[i] as number), 0);
  };
  const h = o.finiteDifferenceStep;
  let compared = 0;
  let skipped = 0;
  for (let i = 0; i < z.length; i++) {
    for (let j = 0; j < r.fixture.width; j++) {
      const coarse = ((await total(i, j, h)) - (await total(i, j, -h))) / (2 * h);
      const fine = ((await total(i, j, h / 2)) - (await total(i, j, -h / 2))) / h;
      // Where the two step sizes disagree the point sits on a kink (hinge, max): not comparable.
      if (!close(coarse, fine, 4 * o.gradientTolerance)) {
        skipped++;
        continue;
      }
      compared++;
      const g = grad[i * r.fixture.width + j] as number;
      if (!close(g, fine, o.gradientTolerance)) {
        return `d/dz[${i}][${j}]: autodiff ${fmt(g)}, central differences ${fmt(fine)}`;
      }
    }
  }
  return compared >= skipped
    ? null
    : `only ${compared} of ${compared + skipped} coordinates were away from kinks; use another seed or a smaller finiteDifferenceStep`;
};

const zeroWeights: Check = async (r, o) => {
  const limit = o.finiteLimit;
  const { labels, width } = r.fixture;
  const extreme = extremeLogits(width, labels, limit);
  // Zero-weight rows get confidently wrong logits: their loss is as large as it can be.
  const z = r.fixture.logits.map((row, i) => (i % 2 === 0 ? (extreme[i] as number[]) : row));
  const weights = labels.map((_, i) => (i % 2 === 0 ? 0 : 1 + i));
  const reductions = ['sum', 'mean', 'normalized'] as const;
  const y = tf.tensor1d(labels, 'int32');
  const w = tf.tensor1d(weights);
  const ctx = contextFor(r.fixture, r.fixture.groups);
  try {
    for (const reduction of reductions) {
      const { value, grad } = tf.tidy(() =>
        tf.valueAndGrad((zt: tf.Tensor) =>
          weightedReduce(r.loss.perExample(zt as tf.Tensor2D, y, ctx), w, reduction),
        )(tf.tensor2d(z)),
      );
      const v = (await value.data())[0] as number;
      const g = await grad.data();
      value.dispose();
      grad.dispose();
      if (!Number.isFinite(v)) return `${reduction} reduction gave ${v}`;
      for (let i = 0; i < labels.length; i++) {
        for (let j = 0; j < width; j++) {
          const gij = g[i * width + j] as number;
          if (!Number.isFinite(gij)) return `${reduction}: gradient d/dz[${i}][${j}] is ${gij}`;
          if (weights[i] === 0 && gij !== 0) {
            return `${reduction}: example ${i} has weight 0 but gradient ${fmt(gij)} on logit ${j}`;
          }
        }
      }
    }
  } finally {
    tf.dispose([y, w, ctx.group as tf.Tensor]);
  }
  if (o.perExampleIndependent) {
    const all = await r.values(z);
    const kept = weights.reduce((s, wi, i) => s + wi * (all[i] as number), 0);
    const subset = labels.map((_, i) => i).filter((i) => weights[i] !== 0);
    const alone = await r.values(
      subset.map((i) => z[i] as number[]),
      subset.map((i) => labels[i] as number),
      subset.map((i) => r.fixture.groups[i] as number),
    );
    const aloneSum = alone.reduce((s, v, k) => s + v * (weights[subset[k] as number] as number), 0);
    if (!close(kept, aloneSum, 1e-5)) {
      return `Σwℓ with zero-weight examples present is ${fmt(kept)}, without them ${fmt(aloneSum)}`;
    }
  }
  return null;
};

const copies: Check = async (r) => {
  const { logits, labels, groups } = r.fixture;
  const k = labels.map((_, i) => 1 + (i % 3));
  const weighted = await r.gradient(logits, k);
  const expanded = logits.flatMap((row, i) => Array.from({ length: k[i] as number }, () => row));
  const expandedLabels = labels.flatMap((y, i) => Array.from({ length: k[i] as number }, () => y));
  const expandedGroups = groups.flatMap((g, i) => Array.from({ length: k[i] as number }, () => g));
  const copiesValues = await r.values(expanded, expandedLabels, expandedGroups);
  const copiesSum = copiesValues.reduce((s, v) => s + v, 0);
  if (!close(weighted.value, copiesSum, 1e-5)) {
    return `Σ k_i ℓ_i = ${fmt(weighted.value)} but the batch with k_i copies sums to ${fmt(copiesSum)}`;
  }
  return null;
};

const nonNegative: Check = async (r, o) => {
  const values = [...(await r.values(r.fixture.logits))];
  values.push(...(await r.values(extremeLogits(r.fixture.width, r.fixture.labels, o.finiteLimit))));
  const bad = values.find((v) => v < 0);
  return bad === undefined ? null : `declared non-negative but gave ${fmt(bad)}`;
};

const shiftInvariant: Check = async (r) => {
  if (r.fixture.width < 2) return null;
  const base = await r.values(r.fixture.logits);
  const shifted = await r.values(
    r.fixture.logits.map((row, i) => row.map((v) => v + (i - 2) * 1.7)),
  );
  for (let i = 0; i < base.length; i++) {
    if (!close(shifted[i] as number, base[i] as number, 1e-4)) {
      return `example ${i}: ℓ(z) = ${fmt(base[i] as number)} but ℓ(z + c) = ${fmt(shifted[i] as number)}`;
    }
  }
  return null;
};

const monotone: Check = async (r) => {
  const { logits, labels, width } = r.fixture;
  const base = await r.values(logits);
  const toward = logits.map((row, i) =>
    width === 1
      ? [(row[0] as number) + (labels[i] === 1 ? 0.5 : -0.5)]
      : row.map((v, j) => (j === labels[i] ? v + 0.5 : v)),
  );
  const moved = await r.values(toward);
  for (let i = 0; i < base.length; i++) {
    if (
      (moved[i] as number) >
      (base[i] as number) + 1e-5 * Math.max(1, Math.abs(base[i] as number))
    ) {
      return `example ${i}: moving the logits toward label ${labels[i]} raised ℓ from ${fmt(base[i] as number)} to ${fmt(moved[i] as number)}`;
    }
  }
  return null;
};

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
