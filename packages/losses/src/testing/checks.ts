// The checks run on each generated batch. Each returns null when it passes, or a sentence saying
// what failed, with the numbers.

import * as tf from '@tensorflow/tfjs-core';
import { weightedReduce } from '../reduce.js';
import { extremeLogits } from './fixtures.js';
import { contextFor, makeRunner, type Runner } from './runner.js';

export const close = (a: number, b: number, tol: number) =>
  Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
export const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6));
export const list = (v: ArrayLike<number>) => `[${Array.from(v, fmt).join(', ')}]`;

export interface Settings {
  readonly finiteDifferenceStep: number;
  readonly gradientTolerance: number;
  /** |logit| of the extreme-logit checks: the loss's `finiteUpTo`, default 1e4. */
  readonly finiteLimit: number;
  readonly perExampleIndependent: boolean;
}

export type Check = (r: Runner, o: Settings) => Promise<string | null>;

export const outputShape: Check = async (r) => {
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

export const deterministic: Check = async (r) => {
  const a = await r.values(r.fixture.logits);
  const b = await r.values(r.fixture.logits);
  return a.every((v, i) => Object.is(v, b[i])) ? null : `two calls gave ${list(a)} and ${list(b)}`;
};

export const noLeaks: Check = async (r) => {
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

export const finiteAtExtremes: Check = async (base, o) => {
  // A step of its own, so that a stateful loss (Group DRO's q) also updates on extreme values.
  const r = makeRunner(base.loss, {
    ...base.fixture,
    context: { ...base.fixture.context, step: base.fixture.context.step + 1 },
  });
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

export const gradientMatchesDifferences: Check = async (r, o) => {
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

export const zeroWeights: Check = async (r, o) => {
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

export const copies: Check = async (r) => {
  const { logits, labels, groups, width } = r.fixture;
  const k = labels.map((_, i) => 1 + (i % 3));
  const weighted = await r.gradient(logits, k);
  // The same batch with example i repeated k_i times, every weight 1; copyOf maps rows back.
  const copyOf = k.flatMap((ki, i) => Array.from({ length: ki }, () => i));
  const expanded = await r.gradient(
    copyOf.map((i) => logits[i] as number[]),
    copyOf.map(() => 1),
    copyOf.map((i) => labels[i] as number),
    copyOf.map((i) => groups[i] as number),
  );
  if (!close(weighted.value, expanded.value, 1e-5)) {
    return `Σ k_i ℓ_i = ${fmt(weighted.value)} but the batch with k_i copies sums to ${fmt(expanded.value)}`;
  }
  const summed = new Float64Array(weighted.grad.length);
  copyOf.forEach((i, row) => {
    for (let j = 0; j < width; j++) {
      summed[i * width + j] =
        (summed[i * width + j] as number) + (expanded.grad[row * width + j] as number);
    }
  });
  const bad = summed.findIndex((g, at) => !close(weighted.grad[at] as number, g, 1e-4));
  if (bad !== -1) {
    const [i, j] = [Math.floor(bad / width), bad % width];
    return `d/dz[${i}][${j}]: ${fmt(weighted.grad[bad] as number)} with weight ${k[i]}, ${fmt(summed[bad] as number)} summed over its copies`;
  }
  return null;
};

export const nonNegative: Check = async (r, o) => {
  const values = [...(await r.values(r.fixture.logits))];
  values.push(...(await r.values(extremeLogits(r.fixture.width, r.fixture.labels, o.finiteLimit))));
  const bad = values.find((v) => v < 0);
  return bad === undefined ? null : `declared non-negative but gave ${fmt(bad)}`;
};

export const shiftInvariant: Check = async (r) => {
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

export const monotone: Check = async (r) => {
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
