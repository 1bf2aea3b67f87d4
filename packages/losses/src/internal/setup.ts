// Checks on what a loss is created with, so a missing or malformed class count fails when the
// loss is built (naming the field) instead of producing NaN logits halfway through a run.

import { SpecError } from '@iwlab/core';
import type { LossSetup } from '../define.js';

/** The class counts a loss needs, checked: one positive finite number per class. */
export function requireClassCounts(setup: LossSetup, loss: string): readonly number[] {
  const counts = setup.classCounts;
  if (counts === undefined) {
    throw new SpecError(
      `loss "${loss}" needs the training-set count of every class; pass context.classCounts`,
      { field: 'context.classCounts' },
    );
  }
  if (counts.length !== setup.numClasses) {
    throw new SpecError(
      `loss "${loss}": context.classCounts has ${counts.length} entries but numClasses is ${setup.numClasses}`,
      { field: 'context.classCounts' },
    );
  }
  counts.forEach((n, j) => {
    if (!Number.isFinite(n) || n <= 0) {
      throw new SpecError(
        `loss "${loss}": class ${j} has count ${n}; every class needs a positive count (its log prior is used)`,
        { field: `context.classCounts[${j}]` },
      );
    }
  });
  return counts;
}

/** π_j = n_j / N. */
export function priorsFromCounts(counts: readonly number[]): number[] {
  const total = counts.reduce((s, n) => s + n, 0);
  return counts.map((n) => n / total);
}

/** Per-class vector parameters must have one entry per class. */
export function requirePerClass(
  values: readonly number[],
  setup: LossSetup,
  loss: string,
  param: string,
): readonly number[] {
  if (values.length !== setup.numClasses) {
    throw new SpecError(
      `loss "${loss}": parameter ${param} has ${values.length} entries but numClasses is ${setup.numClasses}`,
      { field: `params.${param}` },
    );
  }
  return values;
}
