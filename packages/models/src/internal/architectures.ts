// The networks themselves, as tfjs-layers functional graphs. Layer names are explicit and stable
// because weights files are keyed by them.
import { SpecError } from '@iwlab/core';
import * as tfl from '@tensorflow/tfjs-layers';
import type {
  ResolvedCnnSpec,
  ResolvedLogRegSpec,
  ResolvedMlpSpec,
  ResolvedResNetSpec,
  ResolvedTextSpec,
} from '../spec.js';
import {
  batchNorm,
  conv,
  dense,
  denseHead,
  dropout,
  flatten,
  maxPool,
  relu,
  type Sym,
} from './blocks.js';
import type { BuildContext } from './build-context.js';
import { ChannelPadShortcut } from './channel-pad-shortcut.js';
import { MaskedPooling } from './masked-pooling.js';
import type { DropoutClock } from './seeded-dropout.js';
import { TokenEmbedding } from './token-embedding.js';

function inputOf(shape: readonly number[], dtype: 'float32' | 'int32' = 'float32'): Sym {
  return tfl.input({ shape: [...shape], dtype, name: 'input' });
}

function finish(inputs: Sym, outputs: Sym, name: string): tfl.LayersModel {
  return tfl.model({ inputs, outputs, name });
}

export function buildLogReg(spec: ResolvedLogRegSpec, ctx: BuildContext): tfl.LayersModel {
  const x = inputOf(spec.inputShape);
  return finish(x, dense(ctx, flatten(x, 'flatten'), spec.numClasses, 'logits'), 'logreg');
}

export function buildMlp(
  spec: ResolvedMlpSpec,
  ctx: BuildContext,
  clock: DropoutClock,
): tfl.LayersModel {
  const x = inputOf(spec.inputShape);
  const at = new Set(spec.dropoutAt);
  const h = dropout(
    ctx,
    clock,
    flatten(x, 'flatten'),
    at.has('input') ? spec.dropout : 0,
    'input_dropout',
  );
  const logits = denseHead(
    ctx,
    clock,
    h,
    spec.hidden,
    {
      batchNorm: spec.batchNorm,
      activation: spec.activation,
      dropout: at.has('hidden') ? spec.dropout : 0,
    },
    spec.numClasses,
  );
  return finish(x, logits, 'mlp');
}

/** conv → [BN] → ReLU; the conv keeps its bias only without BN (β replaces it). */
function convBnRelu(
  ctx: BuildContext,
  x: Sym,
  filters: number,
  padding: 'same' | 'valid',
  batchNormOn: boolean,
  name: string,
): Sym {
  let h = conv(ctx, x, filters, { kernelSize: 3, padding, useBias: !batchNormOn }, name);
  if (batchNormOn) h = batchNorm(h, `${name}_bn`);
  return relu(h, `${name}_relu`);
}

/**
 * Byrd & Lipton's CNN (reference A.4.2): [conv64 conv64 pool] [conv128 x3 pool] dense512 dense128,
 * 3x3 'valid' convolutions; or the bench's small CNN: conv32 pool conv64 pool dense128, 'same'.
 */
export function buildCnn(
  spec: ResolvedCnnSpec,
  ctx: BuildContext,
  clock: DropoutClock,
  fieldPrefix: string,
): tfl.LayersModel {
  const [height, width] = spec.inputShape as [number, number, number];
  const blocks =
    spec.kind === 'bl-cnn'
      ? [
          [64, 64],
          [128, 128, 128],
        ]
      : [[32], [64]];
  const padding = spec.kind === 'bl-cnn' ? 'valid' : 'same';
  const denseWidths = spec.kind === 'bl-cnn' ? [512, 128] : [128];
  let [h, w] = [height, width];
  for (const block of blocks) {
    if (padding === 'valid') {
      h -= 2 * block.length;
      w -= 2 * block.length;
    }
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
  }
  if (h < 1 || w < 1) {
    throw new SpecError(
      `${spec.kind} shrinks a ${height}x${width} input to nothing; it needs at least ${padding === 'valid' ? '20x20' : '4x4'}`,
      { field: fieldPrefix ? `${fieldPrefix}.inputShape` : 'inputShape' },
    );
  }
  const at = new Set(spec.dropoutAt);
  const x = inputOf(spec.inputShape);
  let y = x;
  let n = 0;
  blocks.forEach((block, b) => {
    for (const filters of block) {
      n += 1;
      y = convBnRelu(ctx, y, filters, padding, spec.batchNorm, `conv${n}`);
    }
    y = maxPool(y, `pool${b + 1}`);
    y = dropout(ctx, clock, y, at.has('conv') ? spec.dropout : 0, `pool${b + 1}_dropout`);
  });
  y = flatten(y, 'flatten');
  const logits = denseHead(
    ctx,
    clock,
    y,
    denseWidths,
    { batchNorm: spec.batchNorm, activation: 'relu', dropout: at.has('dense') ? spec.dropout : 0 },
    spec.numClasses,
  );
  return finish(x, logits, spec.kind);
}

interface ResNetPlan {
  stem: number;
  stemKernel: number;
  widths: readonly number[];
  blocks: readonly number[];
  strides: readonly number[];
}

const RESNET_PLANS: Record<ResolvedResNetSpec['kind'], ResNetPlan> = {
  // He et al. 2016 §4.2: 6n+2 layers, widths 16/32/64.
  resnet20: {
    stem: 16,
    stemKernel: 3,
    widths: [16, 32, 64],
    blocks: [3, 3, 3],
    strides: [1, 2, 2],
  },
  resnet32: {
    stem: 16,
    stemKernel: 3,
    widths: [16, 32, 64],
    blocks: [5, 5, 5],
    strides: [1, 2, 2],
  },
  // ImageNet ResNet-18 with a 3x3 stride-1 stem and no max pool, the usual 32x32 adaptation.
  resnet18: {
    stem: 64,
    stemKernel: 3,
    widths: [64, 128, 256, 512],
    blocks: [2, 2, 2, 2],
    strides: [1, 2, 2, 2],
  },
  // The network of the hjw reproduction's batch-norm arm (reference A.4.2, `src/models/models.py`).
  'resnet-hjw': {
    stem: 64,
    stemKernel: 5,
    widths: [64, 128, 256],
    blocks: [2, 2, 2],
    strides: [1, 2, 2],
  },
};

function basicBlock(
  ctx: BuildContext,
  x: Sym,
  width: number,
  stride: number,
  spec: ResolvedResNetSpec,
  name: string,
): Sym {
  const bn = spec.batchNorm;
  // A strided 'same' conv in tfjs pads only bottom/right, which centres its windows one pixel
  // off PyTorch's (and off the x[::2] the shortcut keeps); explicit symmetric padding matches.
  const padded =
    stride === 1
      ? x
      : (tfl.layers
          .zeroPadding2d({
            padding: [
              [1, 1],
              [1, 1],
            ],
            name: `${name}_pad`,
          })
          .apply(x) as Sym);
  let h = conv(
    ctx,
    padded,
    width,
    { kernelSize: 3, strides: stride, padding: stride === 1 ? 'same' : 'valid', useBias: !bn },
    `${name}_conv1`,
  );
  if (bn) h = batchNorm(h, `${name}_bn1`);
  h = relu(h, `${name}_relu1`);
  h = conv(ctx, h, width, { kernelSize: 3, padding: 'same', useBias: !bn }, `${name}_conv2`);
  if (bn) h = batchNorm(h, `${name}_bn2`);
  let shortcut = x;
  const inWidth = x.shape[3];
  if (stride !== 1 || inWidth !== width) {
    if (spec.shortcut === 'pad') {
      shortcut = new ChannelPadShortcut({
        stride,
        outChannels: width,
        name: `${name}_shortcut`,
      }).apply(x) as Sym;
    } else {
      shortcut = conv(
        ctx,
        x,
        width,
        { kernelSize: 1, strides: stride, padding: 'same', useBias: !bn },
        `${name}_shortcut_conv`,
      );
      if (bn) shortcut = batchNorm(shortcut, `${name}_shortcut_bn`);
    }
  }
  const sum = tfl.layers.add({ name: `${name}_add` }).apply([h, shortcut]) as Sym;
  return relu(sum, `${name}_relu2`);
}

export function buildResNet(
  spec: ResolvedResNetSpec,
  ctx: BuildContext,
  clock: DropoutClock,
): tfl.LayersModel {
  const plan = RESNET_PLANS[spec.kind];
  const x = inputOf(spec.inputShape);
  let y = conv(
    ctx,
    x,
    plan.stem,
    { kernelSize: plan.stemKernel, padding: 'same', useBias: !spec.batchNorm },
    'stem_conv',
  );
  if (spec.batchNorm) y = batchNorm(y, 'stem_bn');
  y = relu(y, 'stem_relu');
  plan.widths.forEach((width, s) => {
    for (let b = 0; b < (plan.blocks[s] ?? 0); b++) {
      const stride = b === 0 ? (plan.strides[s] ?? 1) : 1;
      y = basicBlock(ctx, y, width, stride, spec, `stage${s + 1}_block${b + 1}`);
    }
  });
  y = tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(y) as Sym;
  y = dropout(ctx, clock, y, spec.dropoutAt.includes('head') ? spec.dropout : 0, 'head_dropout');
  return finish(x, dense(ctx, y, spec.numClasses, 'logits'), spec.kind);
}

/** Embedding → pooling over real tokens → MLP → logits (SMS spam, SST-2). */
export function buildText(
  spec: ResolvedTextSpec,
  ctx: BuildContext,
  clock: DropoutClock,
): tfl.LayersModel {
  const at = new Set(spec.dropoutAt);
  const ids = inputOf(spec.inputShape, 'int32');
  const embedded = new TokenEmbedding({
    vocabSize: spec.vocabSize,
    dim: spec.embeddingDim,
    initializer: ctx.embedding(),
    name: 'embedding',
  }).apply(ids) as Sym;
  let h = new MaskedPooling({ mode: spec.pooling, name: `${spec.pooling}_pool` }).apply([
    ids,
    embedded,
  ]) as Sym;
  h = dropout(ctx, clock, h, at.has('embedding') ? spec.dropout : 0, 'embedding_dropout');
  const logits = denseHead(
    ctx,
    clock,
    h,
    spec.hidden,
    {
      batchNorm: spec.batchNorm,
      activation: spec.activation,
      dropout: at.has('hidden') ? spec.dropout : 0,
    },
    spec.numClasses,
  );
  return finish(ids, logits, 'text');
}
