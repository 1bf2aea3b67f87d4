// Deterministic inputs for the conformance checks: logits, labels, groups and class counts, all
// drawn from a seed so a failure reproduces exactly.

import type { LossContext } from '@iwlab/core';
import { Rng } from '@iwlab/core';
import type { LogitLayout, LossSetup } from '../define.js';

export interface Fixture {
  readonly width: number;
  readonly setup: LossSetup;
  readonly logits: number[][];
  readonly labels: number[];
  readonly groups: number[];
  readonly context: Omit<LossContext, 'group'>;
}

export const NUM_GROUPS = 3;

/** Logit widths a layout is checked at: one and two logits for binary, 2 and 3 classes else. */
export function widthsFor(layout: LogitLayout): number[] {
  if (layout === 'binary') return [1, 2];
  if (layout === 'multiclass') return [2, 3];
  return [1, 2, 3];
}

/** Imbalanced counts (first class the majority), like the reference's n = [4000, 400]. */
export function defaultClassCounts(numClasses: number): number[] {
  return Array.from({ length: numClasses }, (_, j) => (j === 0 ? 4000 : 400 + 300 * (j - 1)));
}

export function makeFixture(
  width: number,
  batchSize: number,
  seed: number,
  logitScale: number,
  setupOverride: Partial<LossSetup> | undefined,
): Fixture {
  const rng = Rng.derive(seed, width);
  const numClasses = setupOverride?.numClasses ?? Math.max(2, width);
  const setup: LossSetup = {
    numClasses,
    classCounts: setupOverride?.classCounts ?? defaultClassCounts(numClasses),
    groupCounts: setupOverride?.groupCounts ?? [50, 120, 30],
  };
  const logits = Array.from({ length: batchSize }, () =>
    Array.from({ length: width }, () => rng.normal(0, logitScale)),
  );
  // Every class and every group appears at least once when the batch is large enough.
  const labels = Array.from({ length: batchSize }, (_, i) =>
    i < numClasses ? i : rng.int(0, numClasses - 1),
  );
  const groupCount = setup.groupCounts?.length ?? NUM_GROUPS;
  const groups = Array.from({ length: batchSize }, (_, i) =>
    i < groupCount ? (i + 1) % groupCount : rng.int(0, groupCount - 1),
  );
  return { width, setup, logits, labels, groups, context: { ...setup, epoch: 0, step: 0 } };
}

/** Rows whose logits are pushed to ±limit in the patterns that overflow naive formulas. */
export function extremeLogits(width: number, labels: readonly number[], limit: number): number[][] {
  return labels.map((y, i) => {
    const pattern = i % 4;
    if (width === 1) {
      const toward = y === 1 ? limit : -limit;
      return [pattern % 2 === 0 ? toward : -toward];
    }
    return Array.from({ length: width }, (_, j) => {
      if (pattern === 0) return j === y ? limit : -limit; // confidently right
      if (pattern === 1) return j === y ? -limit : limit; // confidently wrong
      if (pattern === 2) return limit; // all huge
      return j % 2 === 0 ? -limit : limit; // mixed
    });
  });
}
