// The typed specs of the zoo. Each kind is a plain JSON object extending core's ModelSpec, so an
// experiment spec can store it verbatim; `parseSpec` validates one and fills in the defaults, and
// the resolved spec (every switch explicit) is what a model reports and what a weights file keeps.
import type { ModelSpec } from '@iwlab/core';
import { SpecError } from '@iwlab/core';
import { z } from 'zod';

/**
 * How kernels (and, for 'torch-default', biases) start out.
 * - 'glorot-uniform': TF.js / Keras default; biases zero.
 * - 'he-normal': tfjs `heNormal` (truncated normal, variance 2/fan_in); biases zero. He et al.'s
 *   choice for ResNets.
 * - 'torch-default': PyTorch's default for Linear/Conv2d, kaiming-uniform with a=√5, i.e.
 *   U(±1/√fan_in) for kernels *and* biases; for matching PyTorch reproductions.
 */
export type InitScheme = 'glorot-uniform' | 'he-normal' | 'torch-default';
export const INIT_SCHEMES = ['glorot-uniform', 'he-normal', 'torch-default'] as const;

/** Hidden-layer activations the MLP and text heads accept (tfjs-layers names). */
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'selu' | 'gelu' | 'swish' | 'linear';
export const ACTIVATIONS = [
  'relu',
  'tanh',
  'sigmoid',
  'elu',
  'selu',
  'gelu',
  'swish',
  'linear',
] as const;

/**
 * Fields every zoo spec has. The regularization switches the paper varies are here:
 * - `l2`: strength λ of an explicit **L2 penalty** λ·Σ‖W‖², summed over the kernels of dense and
 *   conv layers (never biases, batch-norm γ/β or embedding tables), returned by
 *   `regularizationLoss()` for the trainer to add to the loss. This is *not* optimizer **weight
 *   decay**, which is an optimizer setting in @iwlab/train. Under plain SGD the two coincide when
 *   weightDecay = 2λ on the same variables; with momentum or Adam they differ.
 * - `dropout`: the rate; where it applies is the kind's `dropoutAt`.
 * - `batchNorm`: batch normalization after every conv/dense hidden layer (before the
 *   activation); convolutions then drop their bias, which BN's β replaces.
 */
export interface ZooSpecBase extends ModelSpec {
  readonly init?: InitScheme;
}

export interface LogRegSpec extends ZooSpecBase {
  readonly kind: 'logreg';
}

export interface MlpSpec extends ZooSpecBase {
  readonly kind: 'mlp';
  /** Widths of the hidden layers; default [64] (A.3: one hidden layer of 64 units). */
  readonly hidden?: readonly number[];
  readonly activation?: Activation;
  /** Where dropout applies: on the inputs and/or after every hidden activation. Default ['hidden']. */
  readonly dropoutAt?: readonly ('input' | 'hidden')[];
}

export interface CnnSpec extends ZooSpecBase {
  /** 'bl-cnn': Byrd & Lipton's CNN (reference A.4.2); 'small-cnn': conv32-pool-conv64-pool-fc128. */
  readonly kind: 'bl-cnn' | 'small-cnn';
  /** 'dense' (default, the paper's arm): after each hidden dense layer; 'conv': after each pooling. */
  readonly dropoutAt?: readonly ('conv' | 'dense')[];
}

export interface ResNetSpec extends ZooSpecBase {
  /**
   * ResNet-20/32 of He et al. (CIFAR); ResNet-18 adapted to 32x32 (3x3 stem, no max pool); or
   * 'resnet-hjw', the ResNet of the hjw reproduction's batch-norm arm (reference A.4.2: 5x5 stem
   * of 64, 3 stages x 2 basic blocks of 64/128/256, global average pool, dense K).
   */
  readonly kind: 'resnet20' | 'resnet32' | 'resnet18' | 'resnet-hjw';
  /**
   * Shortcut on blocks that change shape: 'pad' (He et al.'s option A, subsample + zero channels,
   * no parameters) or 'projection' (1x1 conv, + BN when batchNorm). Default: 'pad' for
   * ResNet-20/32, 'projection' for ResNet-18 and resnet-hjw.
   */
  readonly shortcut?: 'pad' | 'projection';
  /** Dropout before the classifier ('head', the only place). */
  readonly dropoutAt?: readonly 'head'[];
}

export interface TextSpec extends ZooSpecBase {
  readonly kind: 'text';
  /** inputShape is [sequenceLength]; inputs are int32 token ids, 0 meaning padding. */
  readonly vocabSize: number;
  readonly embeddingDim?: number;
  /** Pooling over the non-padding tokens. Default 'mean'. */
  readonly pooling?: 'mean' | 'max';
  readonly hidden?: readonly number[];
  readonly activation?: Activation;
  /** Default ['hidden']: after every hidden activation; 'embedding': on the pooled embedding. */
  readonly dropoutAt?: readonly ('embedding' | 'hidden')[];
}

export type ZooSpec = LogRegSpec | MlpSpec | CnnSpec | ResNetSpec | TextSpec;

const seed = z.number().int();
const positiveInt = z.number().int().positive();
const widths = (min: number) => z.array(positiveInt).min(min).readonly();

function baseShape<K extends string>(kinds: readonly [K, ...K[]], defaults: BaseDefaults) {
  return {
    kind: z.enum(kinds),
    inputShape: z.array(positiveInt).min(1).readonly(),
    numClasses: z.number().int().min(2),
    seed,
    l2: z.number().min(0).default(0),
    batchNorm: z.boolean().default(defaults.batchNorm),
    dropout: z.number().min(0).lt(1).default(0),
    init: z.enum(INIT_SCHEMES).default(defaults.init),
  };
}

interface BaseDefaults {
  batchNorm: boolean;
  init: InitScheme;
}
const plain: BaseDefaults = { batchNorm: false, init: 'glorot-uniform' };

function placements<P extends string>(values: readonly [P, ...P[]], fallback: readonly P[]) {
  return z
    .array(z.enum(values))
    .readonly()
    .default(fallback as P[]);
}

export const logRegSchema = z.strictObject({
  ...baseShape(['logreg'], plain),
  // A linear model has nowhere to put them; accepting and ignoring them would mislabel a run.
  batchNorm: z.literal(false, { error: 'logreg has no hidden layer to normalize' }).default(false),
  dropout: z.literal(0, { error: 'logreg has no hidden layer to drop out' }).default(0),
});

export const mlpSchema = z.strictObject({
  ...baseShape(['mlp'], plain),
  hidden: widths(1).default([64]),
  activation: z.enum(ACTIVATIONS).default('relu'),
  dropoutAt: placements(['input', 'hidden'], ['hidden']),
});

export const cnnSchema = z.strictObject({
  ...baseShape(['bl-cnn', 'small-cnn'], plain),
  dropoutAt: placements(['conv', 'dense'], ['dense']),
});

export const resnetSchema = z.strictObject({
  ...baseShape(['resnet20', 'resnet32', 'resnet18', 'resnet-hjw'], {
    batchNorm: true,
    init: 'he-normal',
  }),
  shortcut: z.enum(['pad', 'projection']).optional(),
  dropoutAt: placements(['head'], ['head']),
});

export const textSchema = z.strictObject({
  ...baseShape(['text'], plain),
  vocabSize: z.number().int().min(2),
  embeddingDim: positiveInt.default(64),
  pooling: z.enum(['mean', 'max']).default('mean'),
  hidden: widths(0).default([64]),
  activation: z.enum(ACTIVATIONS).default('relu'),
  dropoutAt: placements(['embedding', 'hidden'], ['hidden']),
});

export type ResolvedLogRegSpec = z.output<typeof logRegSchema>;
export type ResolvedMlpSpec = z.output<typeof mlpSchema>;
export type ResolvedCnnSpec = z.output<typeof cnnSchema>;
export type ResolvedResNetSpec = Omit<z.output<typeof resnetSchema>, 'shortcut'> & {
  readonly shortcut: 'pad' | 'projection';
};
export type ResolvedTextSpec = z.output<typeof textSchema>;
export type ResolvedZooSpec =
  | ResolvedLogRegSpec
  | ResolvedMlpSpec
  | ResolvedCnnSpec
  | ResolvedResNetSpec
  | ResolvedTextSpec;

/** Runs a zod schema and turns its first complaint into a SpecError naming the field. */
export function parseWith<T>(schema: z.ZodType<T>, spec: unknown, fieldPrefix: string): T {
  const result = schema.safeParse(spec);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  let field = fieldPrefix;
  for (const part of path) {
    field += typeof part === 'number' ? `[${part}]` : `${field ? '.' : ''}${String(part)}`;
  }
  let message = issue?.message ?? 'invalid model spec';
  if (issue?.code === 'unrecognized_keys' && issue.keys.includes('weightDecay')) {
    message +=
      '; weight decay is an optimizer setting (the trainer), the model has `l2` (a penalty)';
  }
  throw new SpecError(message, field ? { field } : {});
}

/** Checks the input rank a kind needs, e.g. [H, W, C] for the conv nets. */
export function requireInputRank(
  spec: { kind: string; inputShape: readonly number[] },
  rank: number,
  what: string,
  fieldPrefix: string,
): void {
  if (spec.inputShape.length !== rank) {
    throw new SpecError(
      `${spec.kind} needs inputShape ${what}, got [${spec.inputShape.join(', ')}]`,
      { field: fieldPrefix ? `${fieldPrefix}.inputShape` : 'inputShape' },
    );
  }
}
