// kind → (validate, build). createModel is the one way in, so every model of the zoo is built from
// a validated spec and its seed alone.
import { SpecError } from '@iwlab/core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  buildCnn,
  buildLogReg,
  buildMlp,
  buildResNet,
  buildText,
} from './internal/architectures.js';
import { BuildContext } from './internal/build-context.js';
import type { DropoutClock } from './internal/seeded-dropout.js';
import { ZooModel } from './model.js';
import {
  cnnSchema,
  logRegSchema,
  mlpSchema,
  parseWith,
  type ResolvedZooSpec,
  requireInputRank,
  resnetSchema,
  textSchema,
  type ZooSpec,
} from './spec.js';

interface KindEntry {
  readonly description: string;
  parse(spec: unknown, fieldPrefix: string): ResolvedZooSpec;
  build(
    spec: ResolvedZooSpec,
    ctx: BuildContext,
    clock: DropoutClock,
    fieldPrefix: string,
  ): tfl.LayersModel;
}

const KINDS = new Map<string, KindEntry>();

function define(kind: string, entry: KindEntry): void {
  KINDS.set(kind, entry);
}

define('logreg', {
  description: 'logistic regression: one dense layer to K logits (inputs flattened)',
  parse: (s, f) => parseWith(logRegSchema, s, f),
  build: (s, ctx) => buildLogReg(s as Parameters<typeof buildLogReg>[0], ctx),
});

define('mlp', {
  description: 'MLP: hidden dense layers (widths, activation), optional BN and dropout',
  parse: (s, f) => parseWith(mlpSchema, s, f),
  build: (s, ctx, clock) => buildMlp(s as Parameters<typeof buildMlp>[0], ctx, clock),
});

for (const [kind, description] of [
  ['bl-cnn', "Byrd & Lipton's CNN (reference A.4.2): 3x3 'valid' convs, ~1.52M params at K=2"],
  ['small-cnn', "small CNN: conv32-pool-conv64-pool-fc128, 3x3 'same' convs"],
] as const) {
  define(kind, {
    description,
    parse: (s, f) => {
      const spec = parseWith(cnnSchema, s, f);
      requireInputRank(spec, 3, '[height, width, channels]', f);
      return spec;
    },
    build: (s, ctx, clock, f) => buildCnn(s as Parameters<typeof buildCnn>[0], ctx, clock, f),
  });
}

for (const [kind, description] of [
  ['resnet20', 'ResNet-20 of He et al. (CIFAR), ~0.27M params at K=10'],
  ['resnet32', 'ResNet-32 of He et al. (CIFAR), ~0.46M params at K=10'],
  ['resnet18', 'ResNet-18 adapted to 32x32 (3x3 stem, no max pool), ~11.2M params at K=10'],
  [
    'resnet-hjw',
    "the hjw reproduction's ResNet for the BN arm (5x5 stem, 64/128/256), ~2.78M at K=2",
  ],
] as const) {
  define(kind, {
    description,
    parse: (s, f) => {
      const parsed = parseWith(resnetSchema, s, f);
      requireInputRank(parsed, 3, '[height, width, channels]', f);
      return {
        ...parsed,
        shortcut:
          parsed.shortcut ??
          (parsed.kind === 'resnet20' || parsed.kind === 'resnet32' ? 'pad' : 'projection'),
      };
    },
    build: (s, ctx, clock) => buildResNet(s as Parameters<typeof buildResNet>[0], ctx, clock),
  });
}

define('text', {
  description: 'text: embedding + masked mean/max pooling + MLP (ids int32, 0 = padding)',
  parse: (s, f) => {
    const spec = parseWith(textSchema, s, f);
    requireInputRank(spec, 1, '[sequenceLength]', f);
    return spec;
  },
  build: (s, ctx, clock) => buildText(s as Parameters<typeof buildText>[0], ctx, clock),
});

/** The registered kinds with a one-line description each. */
export function modelKinds(): { kind: string; description: string }[] {
  return [...KINDS].map(([kind, e]) => ({ kind, description: e.description }));
}

export interface CreateModelOptions {
  /**
   * Prefix for the `field` of spec errors, e.g. "model" (default) when the spec sits under
   * `model` in an experiment spec; "" for none.
   */
  readonly fieldPrefix?: string;
}

function entryFor(spec: unknown, fieldPrefix: string): KindEntry {
  const kind = (spec as { kind?: unknown } | null)?.kind;
  const entry = typeof kind === 'string' ? KINDS.get(kind) : undefined;
  if (entry === undefined) {
    throw new SpecError(
      `unknown model kind ${JSON.stringify(kind)}; known kinds: ${[...KINDS.keys()].join(', ')}`,
      { field: fieldPrefix ? `${fieldPrefix}.kind` : 'kind' },
    );
  }
  return entry;
}

/** Validates a spec and fills in every default (the resolved spec is what runs record). */
export function parseModelSpec(
  spec: ZooSpec | unknown,
  options: CreateModelOptions = {},
): ResolvedZooSpec {
  const prefix = options.fieldPrefix ?? 'model';
  return entryFor(spec, prefix).parse(spec, prefix);
}

/**
 * Builds a model from its spec. Every initializer and dropout stream is seeded from `spec.seed`:
 * the same spec gives the same initial weights on every backend.
 */
export function createModel(spec: ZooSpec, options: CreateModelOptions = {}): ZooModel {
  const prefix = options.fieldPrefix ?? 'model';
  const entry = entryFor(spec, prefix);
  const resolved = entry.parse(spec, prefix);
  const clock: DropoutClock = { step: 0 };
  const network = entry.build(
    resolved,
    new BuildContext(resolved.seed, resolved.init),
    clock,
    prefix,
  );
  return new ZooModel(resolved, network, clock);
}
