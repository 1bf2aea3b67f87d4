// Small layer factories shared by the architectures: every weight gets a seeded initializer from
// the BuildContext and a stable, explicit name (weights files are keyed by these names).
import * as tfl from '@tensorflow/tfjs-layers';
import type { Activation } from '../spec.js';
import type { BuildContext } from './build-context.js';
import { InputConv2D, InputDense, readsDataOnly } from './data-layers.js';
import { type DropoutClock, SeededDropout } from './seeded-dropout.js';

export type Sym = tfl.SymbolicTensor;

export function lastDim(x: Sym): number {
  const d = x.shape[x.shape.length - 1];
  if (typeof d !== 'number') throw new Error(`layer output ${x.name} has no static last dimension`);
  return d;
}

function one(out: Sym | Sym[] | unknown): Sym {
  return out as Sym;
}

export function dense(ctx: BuildContext, x: Sym, units: number, name: string, useBias = true): Sym {
  const fanIn = lastDim(x);
  const kernelInitializer = ctx.kernel();
  const biasInitializer = useBias ? ctx.bias(fanIn) : undefined;
  const bias = biasInitializer === undefined ? {} : { biasInitializer };
  // On the data, a dense layer whose gradient skips the data's (see data-layers.ts).
  if (readsDataOnly(x)) {
    return one(new InputDense({ units, kernelInitializer, ...bias, name }).apply(x));
  }
  return one(tfl.layers.dense({ units, useBias, kernelInitializer, ...bias, name }).apply(x));
}

export function conv(
  ctx: BuildContext,
  x: Sym,
  filters: number,
  opts: { kernelSize: number; strides?: number; padding: 'same' | 'valid'; useBias: boolean },
  name: string,
): Sym {
  const fanIn = opts.kernelSize * opts.kernelSize * lastDim(x);
  const kernelInitializer = ctx.kernel();
  const biasInitializer = opts.useBias ? ctx.bias(fanIn) : undefined;
  const bias = biasInitializer === undefined ? {} : { biasInitializer };
  const geometry = {
    kernelSize: opts.kernelSize,
    strides: opts.strides ?? 1,
    padding: opts.padding,
  };
  // On the data, a convolution whose gradient skips the data's (see data-layers.ts).
  if (readsDataOnly(x)) {
    return one(
      new InputConv2D({ filters, ...geometry, kernelInitializer, ...bias, name }).apply(x),
    );
  }
  return one(
    tfl.layers
      .conv2d({ filters, ...geometry, useBias: opts.useBias, kernelInitializer, ...bias, name })
      .apply(x),
  );
}

/** PyTorch's (and He et al.'s) BN constants: running-average momentum 0.1 (Keras 0.9), ε 1e-5. */
export function batchNorm(x: Sym, name: string): Sym {
  return one(tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name }).apply(x));
}

export function activation(x: Sym, fn: Activation, name: string): Sym {
  return fn === 'linear' ? x : one(tfl.layers.activation({ activation: fn, name }).apply(x));
}

export function relu(x: Sym, name: string): Sym {
  return activation(x, 'relu', name);
}

export function dropout(
  ctx: BuildContext,
  clock: DropoutClock,
  x: Sym,
  rate: number,
  name: string,
): Sym {
  // The seed is drawn even at rate 0 so toggling dropout never shifts the other layers' seeds.
  const seed = ctx.nextSeed();
  if (rate === 0) return x;
  return one(new SeededDropout({ rate, seed, clock, name }).apply(x));
}

export function maxPool(x: Sym, name: string): Sym {
  return one(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name }).apply(x));
}

export function flatten(x: Sym, name: string): Sym {
  return x.shape.length > 2 ? one(tfl.layers.flatten({ name }).apply(x)) : x;
}

/** A hidden dense layer: dense → [BN] → activation → [dropout]. */
export function hiddenDense(
  ctx: BuildContext,
  clock: DropoutClock,
  x: Sym,
  units: number,
  opts: { batchNorm: boolean; activation: Activation; dropout: number },
  name: string,
): Sym {
  let h = dense(ctx, x, units, name, !opts.batchNorm);
  if (opts.batchNorm) h = batchNorm(h, `${name}_bn`);
  h = activation(h, opts.activation, `${name}_${opts.activation}`);
  return dropout(ctx, clock, h, opts.dropout, `${name}_dropout`);
}

/** The classifier head every zoo network ends with: hidden dense layers dense1.., then logits. */
export function denseHead(
  ctx: BuildContext,
  clock: DropoutClock,
  x: Sym,
  widths: readonly number[],
  opts: { batchNorm: boolean; activation: Activation; dropout: number },
  numClasses: number,
): Sym {
  const h = widths.reduce(
    (acc, units, i) => hiddenDense(ctx, clock, acc, units, opts, `dense${i + 1}`),
    x,
  );
  return dense(ctx, h, numClasses, 'logits');
}
