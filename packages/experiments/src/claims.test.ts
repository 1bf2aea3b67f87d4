import { describe, expect, it } from 'vitest';
import { type WeightRunsOptions, weightRuns } from './__tests__/series.js';
import type { tinySpec } from './__tests__/specs.js';
import {
  cellEffect,
  evaluateClaims,
  groupCells,
  type RunSeries,
  ratioLabel,
  weightRatio,
} from './claims.js';

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
  options: Omit<WeightRunsOptions, 'ratios' | 'model' | 'overrides' | 'curve'> & {
    readonly curve?: (ratio: number) => number[];
  } = {},
): RunSeries[] {
  return weightRuns({
    ...options,
    ratios: [0.25, 1, 4],
    model,
    overrides,
    curve: options.curve ?? ((ratio) => series(early, late, ratio)),
  });
}

describe('ratioLabel', () => {
  it('writes w1:w0 with the smaller side 1', () => {
    expect(ratioLabel(16)).toBe('16:1');
    expect(ratioLabel(1 / 16)).toBe('1:16');
    expect(ratioLabel(1)).toBe('1:1');
  });
});

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
    // The hjw reading is judged the other way round, but its numbers still read batchnorm − none.
    expect(
      claims.find((c) => c.id === 'no-batchnorm-more-sensitive')?.evidence[0]?.numbers,
    ).toMatch(/difference \(batchnorm − none\) 0\.130;/);
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
    // mlp had no early effect to fade (E 0.05 < 0.1); logreg keeps L = 0.35, between the
    // thresholds. (A persisting effect, not reproduced: the separation test below.)
    expect(byId['effect-fades']?.evidence.map((e) => e.verdict)).toEqual([
      'inconclusive',
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

  it('does not let noise pass for a kept effect: the contrast of noisy curves averages out, their spread does not', () => {
    // Dropout's late curves swing ±0.1 around 0.5 from one evaluation to the next, the weights'
    // order flipping each time: a spread of 0.2 at every evaluation, a mean contrast of 0.
    const noisy = (ratio: number) =>
      Array.from({ length: 20 }, (_, e) => {
        const sign = ratio > 1 ? 1 : ratio < 1 ? -1 : 0;
        if (e === 0) return 0.5 + sign * 0.2;
        return 0.5 + sign * 0.1 * (-1) ** e;
      });
    const list = effects(
      cell({ kind: 'mlp' }, 0.4, 0.02, { epochs: 20 }, { curve: (r) => series(0.4, 0.02, r) }),
      cell({ kind: 'mlp', dropout: 0.5 }, 0, 0, { epochs: 20 }, { curve: noisy }),
    );
    const dropout = list.find((e) => e.cell.arm === 'dropout');
    expect(dropout?.spread.at(-1)).toBeCloseTo(0.2, 12);
    expect(dropout?.late).toBeCloseTo(0, 12);
    expect(evaluateClaims(list).find((c) => c.id === 'dropout-does-not')?.verdict).toBe(
      'reproduced',
    );
  });

  it('keeps a verdict only when every seed reaches it alone', () => {
    // L2 keeps 0.2 of the effect with seed 1 but only 0.03 with seed 2: the mean difference
    // (0.095) passes the threshold, seed 2's (0.01) does not.
    const list = effects(
      cell({ kind: 'mlp' }, 0.4, 0.02, { seed: 1 }),
      cell({ kind: 'mlp' }, 0.4, 0.02, { seed: 2 }),
      cell({ kind: 'mlp', l2: 0.01 }, 0.4, 0.2, { seed: 1 }),
      cell({ kind: 'mlp', l2: 0.01 }, 0.4, 0.03, { seed: 2 }),
      cell({ kind: 'mlp', dropout: 0.5 }, 0.4, 0.02, { seed: 1 }),
      cell({ kind: 'mlp', dropout: 0.5 }, 0.4, 0.03, { seed: 2 }),
    );
    const l2 = list.find((e) => e.cell.arm === 'l2');
    expect(l2?.seeds).toBe(2);
    expect(l2?.bySeed.map((s) => [s.seed, Number(s.late.toFixed(12))])).toEqual([
      [1, 0.2],
      [2, 0.03],
    ]);
    expect(l2?.late).toBeCloseTo(0.115, 12);
    const byId = Object.fromEntries(evaluateClaims(list).map((c) => [c.id, c]));
    expect(byId['l2-keeps']?.verdict).toBe('inconclusive');
    expect(byId['l2-keeps']?.evidence[0]?.numbers).toMatch(
      /difference 0\.095 \(per seed: 0\.180, 0\.010\)/,
    );
    // Both seeds of dropout keep no more (differences 0 and 0.01): that verdict stands.
    expect(byId['dropout-does-not']?.verdict).toBe('reproduced');
    expect(byId['early-effect']?.verdict).toBe('reproduced');
    expect(byId['early-effect']?.evidence[0]?.numbers).toMatch(
      /2 seeds \(per seed: E 0\.400, 0\.400/,
    );
  });

  it('does not call an effect persisting in a cell that has not separated its training data', () => {
    const kept = (trainAccuracy: number) =>
      evaluateClaims(
        effects(
          cell({ kind: 'mlp' }, 0.4, 0.3, {}, { trainAccuracy: Array(10).fill(trainAccuracy) }),
        ),
      ).find((c) => c.id === 'effect-fades');
    expect(kept(0.97)?.verdict).toBe('inconclusive');
    expect(kept(0.97)?.evidence[0]?.numbers).toMatch(/train accuracy at the end 0\.970/);
    expect(kept(1)?.verdict).toBe('not reproduced');
  });

  it('does not judge fading where there was no early effect to fade', () => {
    // E = 0.004 (noise-sized) and S_end 0.02: L = 5 would read "persisted".
    const fades = evaluateClaims(
      effects(cell({ kind: 'mlp' }, 0.004, 0.02, {}, { trainAccuracy: Array(10).fill(1) })),
    ).find((c) => c.id === 'effect-fades');
    expect(fades?.verdict).toBe('inconclusive');
  });

  it('does not count a run without a training accuracy as separated', () => {
    // Two runs separated, the third recorded no training accuracy: not known to be separated.
    const runs = cell({ kind: 'mlp' }, 0.4, 0.3, {}, { trainAccuracy: Array(10).fill(1) }).map(
      (r, i) => (i === 2 ? { ...r, series: { test: r.series.test ?? {} } } : r),
    );
    const [e] = effects(runs);
    expect(e).toMatchObject({ trainAccuracy: 1, separated: false });
    expect(
      evaluateClaims([e as NonNullable<typeof e>]).find((c) => c.id === 'effect-fades')?.verdict,
    ).toBe('inconclusive');
    const none = effects(cell({ kind: 'mlp' }, 0.4, 0.3));
    expect(none[0]).toMatchObject({ trainAccuracy: null, separated: null });
  });

  it("reads each seed's contrast only from seeds that ran the cell's lowest and highest weight", () => {
    // Seed 2 lacks weight 1/4: its own contrast would compare 4 with 1, another pair.
    const list = effects(
      cell({ kind: 'mlp' }, 0.4, 0.02, { seed: 1 }),
      cell({ kind: 'mlp' }, 0.4, 0.02, { seed: 3 }),
      cell({ kind: 'mlp' }, 0.4, 0.02, { seed: 2 }).filter((r) => weightRatio(r.spec) !== 0.25),
    );
    expect(list[0]?.seeds).toBe(3);
    expect(list[0]?.bySeed.map((s) => s.seed)).toEqual([1, 3]);
  });

  it('does not let an arm whose advantage is still shrinking, beyond the noise, read as keeping it', () => {
    // 40 evaluations: windows of 4. The contrast is 0.4 at first; the unregularized cell's is
    // 0.02 after that. L2's is 0.13 over the window before the late one and 0.08 over the late
    // one: a difference of 0.06 (keeps more) that fell 0.05 in one window.
    const contrastCurve = (contrast: (e: number) => number) => (ratio: number) =>
      Array.from({ length: 40 }, (_, e) => {
        const sign = ratio > 1 ? 1 : ratio < 1 ? -1 : 0;
        return 0.5 + (sign * (e === 0 ? 0.4 : contrast(e))) / 2;
      });
    const none = cell({ kind: 'mlp' }, 0, 0, { epochs: 40 }, { curve: contrastCurve(() => 0.02) });
    const l2 = (jitter: number) =>
      cell(
        { kind: 'mlp', l2: 0.01 },
        0,
        0,
        { epochs: 40 },
        { curve: contrastCurve((e) => (e < 36 ? 0.13 : 0.08) + jitter * (-1) ** e) },
      );
    const judged = (jitter: number) =>
      evaluateClaims(effects(none, l2(jitter))).find((c) => c.id === 'l2-keeps')?.evidence[0];
    const steady = effects(none, l2(0)).find((e) => e.cell.arm === 'l2');
    expect(steady?.late).toBeCloseTo(0.08, 12);
    expect(steady?.lateBefore).toBeCloseTo(0.13, 12);
    // No scatter within the windows: the fall is real, and one more like it would leave 0.01.
    expect(judged(0)?.verdict).toBe('inconclusive');
    expect(judged(0)?.numbers).toMatch(
      /difference 0\.060; the window before: 0\.110 \(change -0\.050 ± 0\.000\), still moving: one window on 0\.010, train longer/,
    );
    // The contrast swinging ±0.1 from one evaluation to the next: the same fall is within the
    // noise (± 0.082), and the verdict is the late difference's.
    expect(judged(0.1)?.verdict).toBe('reproduced');
    expect(judged(0.1)?.numbers).toMatch(/\(change -0\.050 ± 0\.082\);/);
  });

  it('judges separation in evaluation mode where the training margins were recorded', () => {
    // Dropout's training accuracy (dropout on) is 0.97, but in evaluation mode every training
    // example is classified right: separated. Its contrast keeps 0.2 more than none's.
    const none = cell({ kind: 'mlp' }, 0.4, 0.02, {}, { trainAccuracy: Array(10).fill(1) });
    const dropout = (lastMargin: number) =>
      cell(
        { kind: 'mlp', dropout: 0.5 },
        0.4,
        0.22,
        {},
        {
          trainAccuracy: Array(10).fill(0.97),
          minMargin: (r) => Array.from({ length: 10 }, (_, e) => (e === 9 ? lastMargin * r : -1)),
        },
      );
    const judged = (lastMargin: number) => {
      const list = effects(none, dropout(lastMargin));
      const arm = list.find((e) => e.cell.arm === 'dropout');
      return { arm, claim: evaluateClaims(list).find((c) => c.id === 'dropout-does-not') };
    };
    const separated = judged(0.5);
    // The smallest margin over the weights 1/4, 1, 4 at the last evaluation: 0.5 × 1/4.
    expect(separated.arm).toMatchObject({
      separated: true,
      separatedBy: 'evaluation',
      minMargin: 0.125,
      trainAccuracy: 0.97,
    });
    expect(separated.claim?.verdict).toBe('not reproduced');
    expect(separated.claim?.evidence[0]?.numbers).toMatch(
      /smallest training margin \(evaluation mode\) 0\.125 vs n\/a$/,
    );
    // Not separated in evaluation mode: keeping more may only mean not fitted yet.
    const unfitted = judged(-0.5);
    expect(unfitted.arm).toMatchObject({ separated: false, separatedBy: 'evaluation' });
    expect(unfitted.claim?.verdict).toBe('inconclusive');
    expect(unfitted.claim?.evidence[0]?.numbers).toMatch(
      /: the dropout cell has not separated its training data, train longer$/,
    );
    // Without margins the training accuracy decides, as before.
    expect(effects(none)[0]).toMatchObject({ separated: true, separatedBy: 'training' });
  });

  it('checks an arm of several seeds against an unregularized cell of one', () => {
    // The unregularized cell has seed 1 only; L2's seed 1 keeps 0.2 more, its seed 2 nothing.
    const list = effects(
      cell({ kind: 'mlp' }, 0.4, 0.02, { seed: 1 }),
      cell({ kind: 'mlp', l2: 0.01 }, 0.4, 0.22, { seed: 1 }),
      cell({ kind: 'mlp', l2: 0.01 }, 0.4, 0.03, { seed: 2 }),
    );
    const l2 = evaluateClaims(list).find((c) => c.id === 'l2-keeps');
    // The mean difference (0.105) alone would say reproduced; seed 1 is the only pair (0.200).
    expect(l2?.evidence[0]?.numbers).toMatch(/difference 0\.105 \(per seed: 0\.200\)/);
    expect(l2?.verdict).toBe('reproduced');
    // One seed each: no per-seed list, the average is the one pair.
    const single = evaluateClaims(
      effects(cell({ kind: 'mlp' }, 0.4, 0.02), cell({ kind: 'mlp', l2: 0.01 }, 0.4, 0.2)),
    ).find((c) => c.id === 'l2-keeps');
    expect(single?.evidence[0]?.numbers).not.toContain('per seed');
  });
});
