import { describe, expect, it } from 'vitest';
import { tinySpec } from './__tests__/specs.js';
import { cellEffect, evaluateClaims, groupCells, type RunSeries } from './claims.js';
import { resolveSpec, runId } from './spec.js';

// Fraction predicted positive over 10 evaluations for weight ratios 1/4, 1, 4: the curves start
// `early` apart from 0.5 and end `late` apart.
function series(early: number, late: number, ratio: number): number[] {
  const sign = ratio > 1 ? 1 : ratio < 1 ? -1 : 0;
  return Array.from(
    { length: 10 },
    (_, e) => 0.5 + (sign * (early + ((late - early) * e) / 9)) / 2,
  );
}

function cell(
  model: Record<string, unknown>,
  early: number,
  late: number,
  overrides: Parameters<typeof tinySpec>[0] = {},
): RunSeries[] {
  return [0.25, 1, 4].map((ratio) => {
    const spec = resolveSpec(
      tinySpec({
        ...overrides,
        model: model as { kind: string },
        weights: { kind: 'ratio', ratio },
      }),
    );
    return {
      id: runId(spec),
      spec,
      status: 'done' as const,
      epochs: Array.from({ length: 10 }, (_, e) => e),
      series: { test: { 'fractionPredicted.positive': series(early, late, ratio) } },
    };
  });
}

describe('cellEffect', () => {
  it('measures the early effect, the late effect and the fraction left', () => {
    const [c] = groupCells(cell({ kind: 'mlp' }, 0.4, 0.04));
    const e = c ? cellEffect(c) : null;
    expect(e?.weights).toEqual([0.25, 1, 4]);
    // Spread at evaluation 0 is 0.4 (the early window is the first evaluation of 10).
    expect(e?.early).toBeCloseTo(0.4, 12);
    expect(e?.earlyEpoch).toBe(1);
    // The last evaluation (window of 1) has spread 0.04.
    expect(e?.late).toBeCloseTo(0.04, 12);
    expect(e?.fractionLeft).toBeCloseTo(0.1, 12);
    expect(c?.label).toBe('2-D separable-gaussians · mlp · none');
  });

  it('ignores runs that did not finish and cells with a single weight', () => {
    const runs = cell({ kind: 'mlp' }, 0.4, 0.04).map((r, i) =>
      i === 0 ? r : { ...r, status: 'failed' as const },
    );
    const [c] = groupCells(runs);
    expect(c?.runs).toHaveLength(1);
    expect(c ? cellEffect(c) : 'none').toBeNull();
  });
});

describe('evaluateClaims', () => {
  const effects = (...cells: RunSeries[][]) =>
    groupCells(cells.flat())
      .map((c) => cellEffect(c))
      .filter((e) => e !== null);

  it("reproduces the paper's pattern when the series show it", () => {
    const claims = evaluateClaims(
      effects(
        cell({ kind: 'mlp' }, 0.4, 0.02),
        cell({ kind: 'mlp', l2: 0.01 }, 0.4, 0.2),
        cell({ kind: 'mlp', dropout: 0.5 }, 0.4, 0.03),
        cell({ kind: 'mlp', batchNorm: true }, 0.4, 0.15),
      ),
    );
    const verdicts = Object.fromEntries(claims.map((c) => [c.id, c.verdict]));
    expect(verdicts).toEqual({
      'early-effect': 'reproduced',
      'effect-fades': 'reproduced',
      'l2-keeps': 'reproduced',
      'dropout-does-not': 'reproduced',
      'batchnorm-keeps': 'reproduced',
      'no-batchnorm-more-sensitive': 'not reproduced',
    });
    expect(claims.find((c) => c.id === 'l2-keeps')?.evidence[0]?.numbers).toMatch(
      /S_end = 0\.200 \(l2\) vs 0\.020 \(none\)/,
    );
  });

  it('says not reproduced, or inconclusive, when the series disagree with the paper', () => {
    const claims = evaluateClaims(
      effects(
        cell({ kind: 'mlp' }, 0.05, 0.05),
        cell({ kind: 'logreg' }, 0.4, 0.14),
        cell({ kind: 'mlp', dropout: 0.5 }, 0.4, 0.3),
      ),
    );
    const byId = Object.fromEntries(claims.map((c) => [c.id, c]));
    // mlp moved nothing early (0.05 < 0.1), logreg did: the cells disagree.
    expect(byId['early-effect']?.evidence.map((e) => e.verdict)).toEqual([
      'not reproduced',
      'reproduced',
    ]);
    expect(byId['early-effect']?.verdict).toBe('inconclusive');
    // mlp keeps all of it; logreg keeps L = 0.35, between the thresholds.
    expect(byId['effect-fades']?.evidence.map((e) => e.verdict)).toEqual([
      'not reproduced',
      'inconclusive',
    ]);
    expect(byId['dropout-does-not']?.verdict).toBe('not reproduced');
    expect(byId['l2-keeps']).toMatchObject({ verdict: 'inconclusive', evidence: [] });
  });

  it('with runs of two plans in one store, labels their cells apart and pairs each arm with its own plan', () => {
    // An earlier plan (3 epochs) left an unregularized cell that kept much of the effect; this
    // plan (20 epochs, and the dropout arm at another learning rate, as the small preset does)
    // has its own.
    const list = effects(
      cell({ kind: 'mlp' }, 0.4, 0.3),
      cell({ kind: 'mlp' }, 0.4, 0.02, { epochs: 20 }),
      cell({ kind: 'mlp', l2: 0.01 }, 0.4, 0.2, { epochs: 20 }),
      cell({ kind: 'mlp', dropout: 0.5 }, 0.4, 0.03, {
        epochs: 20,
        optimizer: { kind: 'sgd', lr: 0.05 },
      }),
    );
    expect(list.map((e) => e.cell.label).sort()).toEqual([
      '2-D separable-gaussians · mlp · dropout',
      '2-D separable-gaussians · mlp · l2',
      '2-D separable-gaussians · mlp · none · epochs 20',
      '2-D separable-gaussians · mlp · none · epochs 3',
    ]);
    const byId = Object.fromEntries(evaluateClaims(list).map((c) => [c.id, c]));
    // Against the 3-epoch cell (S_end 0.3) L2 would keep less and dropout no more.
    expect(byId['l2-keeps']?.evidence[0]?.numbers).toMatch(
      /S_end = 0\.200 \(l2\) vs 0\.020 \(2-D separable-gaussians · mlp · none · epochs 20\)/,
    );
    expect(byId['l2-keeps']?.verdict).toBe('reproduced');
    expect(byId['dropout-does-not']?.verdict).toBe('reproduced');
  });

  it('labels cells apart by the fewest settings that differ', () => {
    const cells = groupCells([
      ...cell({ kind: 'mlp' }, 0.4, 0.1, { epochs: 5, optimizer: { kind: 'sgd', lr: 0.1 } }),
      ...cell({ kind: 'mlp' }, 0.4, 0.1, { epochs: 5, optimizer: { kind: 'sgd', lr: 0.2 } }),
      ...cell({ kind: 'mlp' }, 0.4, 0.1, { epochs: 9, optimizer: { kind: 'sgd', lr: 0.2 } }),
    ]);
    expect(cells.map((c) => c.label)).toEqual([
      '2-D separable-gaussians · mlp · none · epochs 5, optimizer.lr 0.1',
      '2-D separable-gaussians · mlp · none · epochs 5, optimizer.lr 0.2',
      '2-D separable-gaussians · mlp · none · epochs 9, optimizer.lr 0.2',
    ]);
  });

  it("takes evidence only from cells trained with the paper's loss", () => {
    // Cross-entropy fades; the polynomially-tailed loss keeps the effect, as it is designed to.
    const list = effects(
      cell({ kind: 'mlp' }, 0.4, 0.02),
      cell({ kind: 'mlp' }, 0.4, 0.35, { loss: { name: 'poly', params: {} } }),
    );
    expect(list.map((e) => e.cell.label).sort()).toEqual([
      '2-D separable-gaussians · mlp · none · loss ce',
      '2-D separable-gaussians · mlp · none · loss poly(alpha=1, type=logit)',
    ]);
    const fades = evaluateClaims(list).find((c) => c.id === 'effect-fades');
    expect(fades?.verdict).toBe('reproduced');
    expect(fades?.evidence.map((e) => e.cell)).toEqual([
      '2-D separable-gaussians · mlp · none · loss ce',
    ]);
  });
});
