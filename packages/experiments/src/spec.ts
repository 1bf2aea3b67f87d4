// The experiment spec: one JSON object that fully determines a run. It is validated with zod,
// resolved (every default written out, the model and loss parameters checked by the packages
// that own them), and hashed: the run id is the hash of the canonical resolved spec, so the same
// experiment always lands on the same stored row, and any change makes a new one.
import { createHash } from 'node:crypto';
import { BACKEND_CHOICES } from '@iwlab/backend';
import type { BackendChoice, Reduction } from '@iwlab/core';
import { REDUCTIONS, SpecError } from '@iwlab/core';
import { getLossDefinition, parseLossParams } from '@iwlab/losses';
import { parseModelSpec } from '@iwlab/models';
import { z } from 'zod';
import { canonicalJson } from './internal/canonical.js';

const int = z.number().int();
const positiveInt = int.positive();
const finite = z.number().finite();

const syntheticDataSchema = z.strictObject({
  kind: z.literal('synthetic'),
  generator: z.enum(['separable-gaussians', 'overlapping-gaussians', 'moons']),
  /** Generator parameters: margin/offset/std (separable), distance/std (overlapping), noise (moons). */
  params: z.record(z.string(), finite).default({}),
  trainSize: int.min(2).default(512),
  /** A separate balanced test set drawn from the same distribution. */
  testSize: int.min(2).default(512),
  positiveFraction: z.number().gt(0).lt(1).default(0.5),
  /** Seed of the data alone, so the run seed varies init and order over the same points. */
  seed: int.default(0),
});

const cifarDataSchema = z.strictObject({
  kind: z.literal('cifar-catdog'),
  source: z.enum(['lossless', 'official', 'jpeg']).default('lossless'),
  /** Train on a seeded subset of this many images per class (omit for the whole training set). */
  trainPerClass: positiveInt.optional(),
  /** Evaluate on a seeded subset of at most this many images per evaluation set. */
  evalPerSet: positiveInt.optional(),
  /** Uniform-noise evaluation images (0 for none). */
  noiseImages: int.min(0).default(1000),
  preprocess: z.enum(['half', 'mean-std', 'unit']).default('half'),
  /** Seed of the subsets and the noise images. */
  seed: int.default(0),
});

const dataSchema = z.discriminatedUnion('kind', [syntheticDataSchema, cifarDataSchema]);

const shiftSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  /** Label shift: keep a seeded fraction of each class of the training set. */
  z.strictObject({
    kind: z.literal('subsample'),
    fractions: z.array(z.number().gt(0).max(1)).min(2),
    seed: int.default(0),
  }),
]);

const weightsSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('uniform') }),
  /** Two classes: w[1] / w[0] = ratio, the smaller weight 1 (reference A.7). */
  z.strictObject({ kind: z.literal('ratio'), ratio: finite.gt(0) }),
  z.strictObject({ kind: z.literal('inverse-frequency') }),
  z.strictObject({ kind: z.literal('explicit'), weights: z.array(finite.min(0)).min(2) }),
]);

const modelSchema = z
  .looseObject({
    kind: z.string(),
    l2: z.number().min(0).optional(),
    batchNorm: z.boolean().optional(),
    dropout: z.number().min(0).lt(1).optional(),
  })
  .refine((m) => !('inputShape' in m || 'numClasses' in m || 'seed' in m), {
    message: 'inputShape, numClasses and seed come from the data and the run seed; leave them out',
  });

const lrScheduleSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    finite.min(0),
    /** Reference A.3: lr = factor / σ_max(X_train), computed from the training inputs. */
    z.strictObject({ kind: z.literal('inverse-sigma-max'), factor: finite.gt(0) }),
    z.strictObject({ kind: z.literal('constant'), lr: finite.min(0) }),
    z.strictObject({
      kind: z.literal('step'),
      lr: finite.min(0),
      milestones: z.array(int.min(0)),
      gamma: finite.min(0),
    }),
    z.strictObject({
      kind: z.literal('cosine'),
      lr: finite.min(0),
      epochs: positiveInt,
      minLr: finite.min(0).optional(),
    }),
  ]),
);

const optimizerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('sgd'),
    lr: lrScheduleSchema,
    momentum: z.number().min(0).lt(1).default(0),
    nesterov: z.boolean().default(false),
    weightDecay: z.number().min(0).default(0),
  }),
  z.strictObject({
    kind: z.literal('adam'),
    lr: lrScheduleSchema,
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().gt(0).default(1e-7),
    weightDecay: z.number().min(0).default(0),
  }),
]);

/** The split a spec's `evaluation.margins` records the training set's margins under. */
export const MARGINS_SPLIT = 'train-margins';

const evaluationSchema = z.strictObject({
  /** Evaluate every k epochs (the last epoch always). */
  every: positiveInt.default(1),
  /** 2-D data only: decision-boundary snapshots after these epochs (1-based, as in A.3). */
  boundaryEpochs: z.array(positiveInt).default([]),
  boundaryResolution: int.min(2).max(200).default(41),
  /**
   * Also record the training set's margins at each evaluation (split 'train-margins'): the
   * smallest margin and the normalized one, for the implicit-bias theory's prediction (c).
   * Optional with no default, so specs written before it keep their run ids.
   */
  margins: z.boolean().optional(),
});

export const experimentSpecSchema = z.strictObject({
  data: dataSchema,
  shift: shiftSchema.default({ kind: 'none' }),
  weights: weightsSchema.default({ kind: 'uniform' }),
  /** Rescale the class weights to mean 1 over the training set (reference A.9.2). */
  normalizeWeights: z.boolean().default(false),
  model: modelSchema,
  loss: z
    .strictObject({ name: z.string(), params: z.record(z.string(), z.unknown()).default({}) })
    .default({ name: 'ce', params: {} }),
  /** Always named, never defaulted: it changes the effective step size (reference A.9.1). */
  reduction: z.enum(REDUCTIONS as [Reduction, ...Reduction[]]),
  optimizer: optimizerSchema,
  epochs: positiveInt,
  batchSize: positiveInt,
  seed: int.min(0),
  backend: z.enum(BACKEND_CHOICES as [BackendChoice, ...BackendChoice[]]).default('auto'),
  evaluation: evaluationSchema.default({ every: 1, boundaryEpochs: [], boundaryResolution: 41 }),
});

/** What a user writes: defaults may be omitted. */
export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>;
type Parsed = z.output<typeof experimentSpecSchema>;

export type DataSpec = Parsed['data'];
export type SyntheticDataSpec = z.output<typeof syntheticDataSchema>;
export type CifarDataSpec = z.output<typeof cifarDataSchema>;
export type LrSpecInput =
  | number
  | { kind: 'inverse-sigma-max'; factor: number }
  | { kind: 'constant'; lr: number }
  | { kind: 'step'; lr: number; milestones: number[]; gamma: number }
  | { kind: 'cosine'; lr: number; epochs: number; minLr?: number };

/** A validated spec with every default written out: the thing that is hashed and stored. */
export interface ExperimentSpec extends Omit<Parsed, 'model' | 'optimizer' | 'loss'> {
  /** The model spec as @iwlab/models resolves it, without inputShape/numClasses/seed. */
  readonly model: Readonly<Record<string, unknown>> & {
    readonly kind: string;
    readonly l2: number;
    readonly batchNorm: boolean;
    readonly dropout: number;
  };
  readonly loss: { readonly name: string; readonly params: Readonly<Record<string, unknown>> };
  readonly optimizer: Omit<Parsed['optimizer'], 'lr'> & { readonly lr: LrSpecInput };
}

/** Input shape and class count the data of a spec gives, known without loading it. */
export function dataShape(data: DataSpec): { inputShape: number[]; numClasses: number } {
  return data.kind === 'synthetic'
    ? { inputShape: [2], numClasses: 2 }
    : { inputShape: [32, 32, 3], numClasses: 2 };
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/**
 * Validates a spec and fills in every default. Every error is a SpecError whose `where.field`
 * names the offending field (e.g. "optimizer.momentum", "model.dropout").
 */
export function resolveSpec(input: unknown): ExperimentSpec {
  const result = experimentSpecSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue ? fieldOf(issue.path) || 'spec' : 'spec';
    throw new SpecError(issue?.message ?? 'invalid experiment spec', { field });
  }
  const spec = result.data;
  const { inputShape, numClasses } = dataShape(spec.data);
  const resolvedModel = parseModelSpec(
    { ...spec.model, inputShape, numClasses, seed: 0 },
    { fieldPrefix: 'model' },
  ) as unknown as Record<string, unknown>;
  const { inputShape: _i, numClasses: _n, seed: _s, ...model } = resolvedModel;
  let lossParams: Record<string, unknown>;
  try {
    lossParams = parseLossParams(
      getLossDefinition(spec.loss.name),
      spec.loss.params,
      'loss.params',
    ) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SpecError && error.where.field === 'loss') {
      throw new SpecError(error.message.replace(/^field loss: /, ''), { field: 'loss.name' });
    }
    throw error;
  }
  if (spec.weights.kind === 'ratio' && numClasses !== 2) {
    throw new SpecError('a weight ratio needs two classes', { field: 'weights.kind' });
  }
  if (spec.weights.kind === 'explicit' && spec.weights.weights.length !== numClasses) {
    throw new SpecError(`${spec.weights.weights.length} weights for ${numClasses} classes`, {
      field: 'weights.weights',
    });
  }
  if (spec.shift.kind === 'subsample' && spec.shift.fractions.length !== numClasses) {
    throw new SpecError(`${spec.shift.fractions.length} fractions for ${numClasses} classes`, {
      field: 'shift.fractions',
    });
  }
  if (spec.evaluation.boundaryEpochs.length > 0 && spec.data.kind !== 'synthetic') {
    throw new SpecError('decision boundaries are drawn for 2-D synthetic data only', {
      field: 'evaluation.boundaryEpochs',
    });
  }
  spec.evaluation.boundaryEpochs.forEach((e, i) => {
    if (e > spec.epochs) {
      throw new SpecError(`epoch ${e} is after the last epoch (${spec.epochs})`, {
        field: `evaluation.boundaryEpochs[${i}]`,
      });
    }
  });
  // `margins: false` means what leaving it out means: it must give the same id.
  const { margins, ...evaluation } = spec.evaluation;
  return {
    ...spec,
    evaluation: margins === true ? { ...evaluation, margins } : evaluation,
    model: model as ExperimentSpec['model'],
    loss: { name: spec.loss.name, params: lossParams },
    optimizer: spec.optimizer as ExperimentSpec['optimizer'],
  };
}

/** The stable run id: the first 16 hex digits of SHA-256 over the canonical resolved spec. */
export function runId(spec: ExperimentSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

export { canonicalJson };
