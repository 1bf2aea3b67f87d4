// Finished runs with made-up series, one per weight ratio, for the claims and predictions tests.
import type { RunSeries } from '../claims.js';
import { MARGINS_SPLIT, resolveSpec, runId } from '../spec.js';
import { tinySpec } from './specs.js';

export interface WeightRunsOptions {
  readonly ratios: readonly number[];
  readonly model: Record<string, unknown>;
  /** The fraction predicted positive per evaluation for a weight ratio. */
  readonly curve: (ratio: number) => number[];
  readonly overrides?: Parameters<typeof tinySpec>[0];
  /** Training accuracy per evaluation (default none recorded). */
  readonly trainAccuracy?: readonly number[];
  /** The normalized training margin per evaluation for a weight ratio (default none recorded). */
  readonly margins?: (ratio: number) => number[];
  /** The smallest training margin per evaluation for a weight ratio (default none recorded). */
  readonly minMargin?: (ratio: number) => number[];
}

export function weightRuns(options: WeightRunsOptions): RunSeries[] {
  return options.ratios.map((ratio) => {
    const spec = resolveSpec(
      tinySpec({
        ...options.overrides,
        model: options.model as { kind: string },
        weights: { kind: 'ratio', ratio },
      }),
    );
    const values = options.curve(ratio);
    return {
      id: runId(spec),
      spec,
      status: 'done' as const,
      epochs: values.map((_, e) => e),
      series: {
        test: { 'fractionPredicted.positive': values },
        ...(options.trainAccuracy ? { train: { accuracy: [...options.trainAccuracy] } } : {}),
        ...(options.margins || options.minMargin
          ? {
              [MARGINS_SPLIT]: {
                ...(options.margins ? { normalizedMargin: options.margins(ratio) } : {}),
                ...(options.minMargin ? { minMargin: options.minMargin(ratio) } : {}),
              },
            }
          : {}),
      },
    };
  });
}
