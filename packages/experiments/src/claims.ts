// The paper's claims (reference A.1, A.4.7) checked against stored runs. Runs that differ only in
// their importance weights and seed form a *cell*; per cell, @iwlab/metrics' weightEffect gives,
// at each evaluation, the contrast of the fraction predicted as class 1 between the highest and
// the lowest weight (signed: positive when the weights push the way they favour). From it:
// - E, the early effect: the largest contrast in the early window (first ⌈T/10⌉ evaluations);
// - S_end, the late effect: the mean contrast over the last ⌈T/10⌉ evaluations;
// - L = S_end / E, the fraction of the early effect left at the end;
// - S_before, the mean contrast over the ⌈T/10⌉ evaluations before the late window: where S_end
//   is still heading. An arm's comparison with the unregularized cell does not stand when their
//   difference moved from the window before to the late one by more than twice the noise of that
//   change (from the contrast's scatter within the two windows), and one more window's such move
//   would change the verdict: an arm whose advantage is still shrinking has not shown it keeps it.
// The contrast, not the spread (max − min across weights), because noisy curves have a positive
// spread even when the weights do nothing, more so the noisier the arm (dropout, batch norm) and
// the more weights there are: a spread would let noise pass for a kept effect.
// Each claim compares these with the documented thresholds below, on the seed-averaged curves
// and on every seed alone: a verdict stands only when no seed disagrees.
import { earlyPeak, weightEffect } from '@iwlab/metrics';
import { canonicalJson } from './internal/canonical.js';
import { type ExperimentSpec, MARGINS_SPLIT } from './spec.js';
import type { RunStore, StoredRun } from './store.js';

export interface ClaimThresholds {
  /** E at or above this (fraction units): the weights moved the predictions early. */
  readonly earlyEffect: number;
  /** L at or below this: the effect faded. */
  readonly faded: number;
  /** L at or above this: the effect persisted. Between the two: inconclusive. */
  readonly persisted: number;
  /** S_end(arm) − S_end(unregularized) at or above this: the arm keeps more of the effect. */
  readonly keeps: number;
  /** ... at or below this: it keeps no more. Between the two: inconclusive. */
  readonly keepsNot: number;
}

export const DEFAULT_CLAIM_THRESHOLDS: ClaimThresholds = {
  earlyEffect: 0.1,
  faded: 0.25,
  persisted: 0.5,
  keeps: 0.05,
  keepsNot: 0.02,
};

/** One run's per-evaluation series: split → metric key → values, and the epochs (0-based). */
export interface RunSeries {
  readonly id: string;
  readonly spec: ExperimentSpec;
  readonly status: StoredRun['status'];
  readonly epochs: readonly number[];
  readonly series: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
}

export type Arm = string;

export interface Cell {
  readonly key: string;
  readonly experiment: string;
  readonly model: string;
  /** 'none', 'l2', 'dropout', 'batchnorm', or several joined with '+'. */
  readonly arm: Arm;
  readonly label: string;
  /** Split and metric key the claims read (e.g. test / fractionPredicted.positive). */
  readonly split: string;
  readonly statistic: string;
  readonly runs: readonly RunSeries[];
}

/** E, S_end and L of one seed's runs alone (cells with several seeds). */
export interface SeedEffect {
  readonly seed: number;
  readonly early: number;
  readonly late: number;
  readonly fractionLeft: number | null;
}

export interface CellEffect {
  readonly cell: Cell;
  /** Ascending weight ratios w[1]/w[0]. */
  readonly weights: number[];
  readonly seeds: number;
  readonly epochs: number[];
  /** Per weight, the statistic per evaluation, averaged over seeds. */
  readonly meanByWeight: number[][];
  /** Per evaluation: max − min across weights (shown, not judged: noise inflates it). */
  readonly spread: number[];
  /** Per evaluation: the highest weight's mean minus the lowest weight's, signed. */
  readonly contrast: number[];
  /**
   * Per weight (order of `weights`), per evaluation: |mean_w − mean of weight 1|, how far each
   * curve is from the unweighted one; null without an unweighted run.
   */
  readonly deviation: number[][] | null;
  /** E: the largest contrast in the early window, and the epoch (1-based) it was reached. */
  readonly early: number;
  readonly earlyEpoch: number;
  /** S_end: the mean contrast over the late window. */
  readonly late: number;
  /**
   * S_before: the mean contrast over the window of the same length just before the late one;
   * null when there are fewer than two windows' worth of evaluations.
   */
  readonly lateBefore: number | null;
  /** L = S_end / E; null when E ≤ 0 (no early effect in the weights' direction). */
  readonly fractionLeft: number | null;
  /**
   * E, S_end and L per seed, ascending, from the seeds that ran both the cell's lowest and highest
   * weight; empty with a single seed.
   */
  readonly bySeed: readonly SeedEffect[];
  /**
   * The lowest training accuracy among the cell's runs at the cell's last evaluation (the last
   * one every run has; over that epoch's training batches, in training mode); null when no run
   * recorded it.
   */
  readonly trainAccuracy: number | null;
  /**
   * Whether every run had separated its training data by then: the regime the paper's claims are
   * about. Judged in evaluation mode where every run recorded its training margins
   * (`evaluation.margins`): the smallest margin positive, i.e. every training example classified
   * right with dropout off and batch norm on its running statistics. Else by the training
   * accuracy (1), false too when some run did not record it while others did; null when none did.
   */
  readonly separated: boolean | null;
  /** How `separated` was judged: 'evaluation' (margins), 'training' (accuracy) or null. */
  readonly separatedBy: 'evaluation' | 'training' | null;
  /** The smallest training margin among the cell's runs at the end, where all recorded one. */
  readonly minMargin: number | null;
}

export type Verdict = 'reproduced' | 'not reproduced' | 'inconclusive';

export interface ClaimEvidence {
  readonly cell: string;
  readonly verdict: Verdict;
  readonly numbers: string;
}

export interface Claim {
  readonly id: string;
  readonly statement: string;
  readonly source: string;
  readonly verdict: Verdict;
  readonly evidence: readonly ClaimEvidence[];
  /** How the verdict was reached, with the thresholds. */
  readonly rule: string;
}

/** Ratio w[1]/w[0] of a spec's class weights (1 for uniform). */
export function weightRatio(spec: ExperimentSpec): number {
  const w = spec.weights;
  if (w.kind === 'ratio') return w.ratio;
  if (w.kind === 'explicit') return (w.weights[1] as number) / (w.weights[0] as number);
  return 1;
}

/** "16:1" for 16, "1:16" for 1/16: a weight ratio w[1]/w[0] as class 1 : class 0. */
export function ratioLabel(r: number): string {
  const fmt = (v: number) => String(Number(v.toPrecision(4)));
  return r >= 1 ? `${fmt(r)}:1` : `1:${fmt(1 / r)}`;
}

/** The regularizer switches an arm is made of: its name part, its spec path, when it is on. */
const ARM_SWITCHES: readonly {
  readonly arm: string;
  readonly path: string;
  readonly on: (spec: ExperimentSpec) => boolean;
}[] = [
  { arm: 'l2', path: 'model.l2', on: (s) => s.model.l2 > 0 },
  { arm: 'dropout', path: 'model.dropout', on: (s) => s.model.dropout > 0 },
  { arm: 'batchnorm', path: 'model.batchNorm', on: (s) => s.model.batchNorm },
];

export function armOf(spec: ExperimentSpec): Arm {
  const parts = ARM_SWITCHES.filter((a) => a.on(spec)).map((a) => a.arm);
  return parts.length === 0 ? 'none' : parts.join('+');
}

export function experimentOf(spec: ExperimentSpec): string {
  return spec.data.kind === 'synthetic' ? `2-D ${spec.data.generator}` : 'CIFAR-10 cat vs dog';
}

/** The split and statistic the claims read for a spec's data. */
export function primaryStatistic(spec: ExperimentSpec): { split: string; statistic: string } {
  return spec.data.kind === 'synthetic'
    ? { split: 'test', statistic: 'fractionPredicted.positive' }
    : { split: 'in-domain', statistic: 'fractionPredicted.dog' };
}

/**
 * Reads every run of the store (or only those in `only`: their ids, or the runs themselves when
 * the caller has listed them already) with its per-evaluation series.
 */
export function loadRunSeries(
  store: RunStore,
  only?: ReadonlySet<string> | readonly StoredRun[],
): RunSeries[] {
  const runs = Array.isArray(only)
    ? only
    : store
        .listRuns()
        .filter((run) => only === undefined || (only as ReadonlySet<string>).has(run.id));
  return runs.map((run) => {
    const rows = store.epochs(run.id);
    const evaluated = [
      ...new Set(rows.filter((r) => r.split !== 'train').map((r) => r.epoch)),
    ].sort((a, b) => a - b);
    const series: Record<string, Record<string, number[]>> = {};
    const index = new Map(evaluated.map((e, i) => [e, i]));
    for (const row of rows) {
      const i = index.get(row.epoch);
      if (i === undefined) continue;
      const split = series[row.split] ?? {};
      series[row.split] = split;
      for (const [key, value] of Object.entries(row.metrics)) {
        const values = split[key] ?? new Array<number>(evaluated.length).fill(Number.NaN);
        split[key] = values;
        values[i] = value;
      }
    }
    return { id: run.id, spec: run.spec, status: run.status, epochs: evaluated, series };
  });
}

/** A spec's leaf values by dotted path (arrays count as leaves), each as canonical JSON. */
function specLeaves(value: unknown, prefix = '', out = new Map<string, string>()) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) specLeaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, canonicalJson(value));
  }
  return out;
}

/** "poly(alpha=2, type=logit)", "ce": a loss as one setting, as a label shows it. */
export function lossLabel(loss: ExperimentSpec['loss']): string {
  const params = Object.entries(loss.params).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : canonicalJson(v)}`,
  );
  return params.length === 0 ? loss.name : `${loss.name}(${params.join(', ')})`;
}

/**
 * What makes a cell: everything in the spec but the weights and the seed. The loss is one
 * setting (its name with its parameters), so cells of two losses differ in "loss".
 */
function cellLeaves(spec: ExperimentSpec): Map<string, string> {
  const { weights: _w, seed: _s, loss, ...rest } = spec;
  return specLeaves(rest).set('loss', lossLabel(loss));
}

/**
 * Labels for cells that share experiment, model and arm (runs of two plans in one store, or two
 * losses): the base label plus the fewest settings that tell them apart, e.g. "epochs 400".
 */
function distinguishingLabels(base: string, specs: readonly ExperimentSpec[]): string[] {
  const leaves = specs.map(cellLeaves);
  const paths = [...new Set(leaves.flatMap((l) => [...l.keys()]))];
  const valueAt = (i: number, path: string) => leaves[i]?.get(path) ?? '(unset)';
  const distinct = (path: string) => new Set(specs.map((_, i) => valueAt(i, path))).size;
  // Most telling settings first; the path name breaks ties, so labels do not depend on run order.
  const candidates = paths
    .filter((path) => distinct(path) > 1)
    .sort((a, b) => distinct(b) - distinct(a) || a.localeCompare(b));
  const chosen: string[] = [];
  const labelOf = (i: number) =>
    `${base} · ${chosen.map((path) => `${path} ${valueAt(i, path).replace(/^"(.*)"$/, '$1')}`).join(', ')}`;
  for (const path of candidates) {
    chosen.push(path);
    if (new Set(specs.map((_, i) => labelOf(i))).size === specs.length) break;
  }
  return specs.map((_, i) => labelOf(i));
}

/** "experiment · model · arm": a cell's label when no other cell shares it. */
function baseLabel(cell: Pick<Cell, 'experiment' | 'model' | 'arm'>): string {
  return `${cell.experiment} · ${cell.model} · ${cell.arm}`;
}

/** Groups runs that differ only in weights and seed; only finished ('done') runs count. */
export function groupCells(runs: readonly RunSeries[]): Cell[] {
  const cells = new Map<string, RunSeries[]>();
  for (const run of runs) {
    if (run.status !== 'done') continue;
    const { weights: _w, seed: _s, ...rest } = run.spec;
    const key = canonicalJson(rest);
    const list = cells.get(key) ?? [];
    list.push(run);
    cells.set(key, list);
  }
  const grouped = [...cells].map(([key, list]) => {
    const spec = (list[0] as RunSeries).spec;
    const experiment = experimentOf(spec);
    const arm = armOf(spec);
    return {
      key,
      experiment,
      model: spec.model.kind,
      arm,
      label: baseLabel({ experiment, model: spec.model.kind, arm }),
      ...primaryStatistic(spec),
      runs: list,
    };
  });
  const sharing = new Map<string, typeof grouped>();
  for (const cell of grouped) sharing.set(cell.label, [...(sharing.get(cell.label) ?? []), cell]);
  for (const [base, group] of sharing) {
    if (group.length < 2) continue;
    const labels = distinguishingLabels(
      base,
      group.map((cell) => (cell.runs[0] as RunSeries).spec),
    );
    group.forEach((cell, i) => {
      cell.label = labels[i] ?? cell.label;
    });
  }
  return grouped;
}

/** Settings an arm changes on purpose: not counted when pairing it with its unregularized cell. */
const ARM_PATHS = new Set(ARM_SWITCHES.map((a) => a.path));

/** How many settings, other than the arm's switches, two cells differ in. */
function cellDistance(a: Cell, b: Cell): number {
  const la = cellLeaves((a.runs[0] as RunSeries).spec);
  const lb = cellLeaves((b.runs[0] as RunSeries).spec);
  let d = 0;
  for (const path of new Set([...la.keys(), ...lb.keys()])) {
    if (!ARM_PATHS.has(path) && la.get(path) !== lb.get(path)) d++;
  }
  return d;
}

interface Measures {
  readonly early: number;
  readonly earlyIndex: number;
  readonly late: number;
  readonly lateBefore: number | null;
  readonly fractionLeft: number | null;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

const variance = (values: readonly number[]) => {
  const m = mean(values);
  return values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1);
};

/**
 * The ⌈T/10⌉-evaluation windows of a series of T: the late one (its last entries) and the one
 * just before it (empty when the series is shorter than two windows).
 */
function windows(values: readonly number[]) {
  const size = Math.max(1, Math.ceil(values.length / 10));
  const before = values.length >= 2 * size ? values.slice(-2 * size, -size) : [];
  return { size, late: values.slice(-size), before };
}

/**
 * Var(S_end − S_before) from the contrast's scatter within the two windows, taking evaluations as
 * independent (they are not quite, so this errs towards calling a change real); null when a
 * window has fewer than two evaluations.
 */
function lateChangeVariance(contrast: readonly number[]): number | null {
  const { size, late, before } = windows(contrast);
  if (size < 2 || before.length === 0) return null;
  return (variance(late) + variance(before)) / size;
}

/** E, S_end, S_before and L of a contrast series (see the top of this file). */
function measure(contrast: readonly number[]): Measures {
  const { size, late: tail, before } = windows(contrast);
  const { value: early, index: earlyIndex } = earlyPeak(contrast, size);
  const late = mean(tail);
  return {
    early,
    earlyIndex,
    late,
    lateBefore: before.length === 0 ? null : mean(before),
    fractionLeft: early > 0 ? late / early : null,
  };
}

/** The last finite value among a series' first `length` entries. */
function lastFinite(values: readonly number[] | undefined, length: number): number | null {
  for (let i = Math.min(length, values?.length ?? 0) - 1; i >= 0; i--) {
    const v = values?.[i] as number;
    if (Number.isFinite(v)) return v;
  }
  return null;
}

/** The weight effect of one cell; null when it has fewer than two weights or no series. */
export function cellEffect(cell: Cell): CellEffect | null {
  const usable = cell.runs.filter((r) => r.series[cell.split]?.[cell.statistic] !== undefined);
  if (usable.length === 0) return null;
  const length = Math.min(...usable.map((r) => r.epochs.length));
  if (length === 0) return null;
  const runs = usable.map((r) => ({
    seed: r.spec.seed,
    weight: weightRatio(r.spec),
    values: (r.series[cell.split]?.[cell.statistic] ?? []).slice(0, length),
  }));
  if (new Set(runs.map((r) => r.weight)).size < 2) return null;
  const effect = weightEffect(runs);
  const measures = measure(effect.contrast);
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const [lowest, highest] = [effect.weights[0], effect.weights.at(-1)];
  // A seed's own contrast must compare the same two weights as the cell's.
  const bySeed =
    seeds.length < 2
      ? []
      : seeds.flatMap((seed) => {
          const own = runs.filter((r) => r.seed === seed);
          const weights = new Set(own.map((r) => r.weight));
          if (!weights.has(lowest as number) || !weights.has(highest as number)) return [];
          const m = measure(weightEffect(own).contrast);
          return [{ seed, early: m.early, late: m.late, fractionLeft: m.fractionLeft }];
        });
  const accuracies = usable.map((r) => lastFinite(r.series.train?.accuracy, length));
  const recorded = accuracies.filter((a): a is number => a !== null);
  const margins = usable.map((r) => lastFinite(r.series[MARGINS_SPLIT]?.minMargin, length));
  const minMargin = margins.every((m) => m !== null) ? Math.min(...(margins as number[])) : null;
  const epochs = (usable[0] as RunSeries).epochs.slice(0, length).map((e) => e + 1);
  return {
    cell,
    weights: effect.weights,
    seeds: seeds.length,
    epochs,
    meanByWeight: effect.meanByWeight,
    spread: effect.spread,
    contrast: effect.contrast,
    deviation: effect.deviation,
    early: measures.early,
    earlyEpoch: epochs[measures.earlyIndex] ?? 1,
    late: measures.late,
    lateBefore: measures.lateBefore,
    fractionLeft: measures.fractionLeft,
    bySeed,
    trainAccuracy: recorded.length === 0 ? null : Math.min(...recorded),
    separated:
      minMargin !== null
        ? minMargin > 0
        : recorded.length === 0
          ? null
          : recorded.length === accuracies.length && recorded.every((a) => a >= 1),
    separatedBy: minMargin !== null ? 'evaluation' : recorded.length === 0 ? null : 'training',
    minMargin,
  };
}

const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));

/** A claim's verdict: its cells' when they all agree, else (or with none) inconclusive. */
export function combine(evidence: readonly ClaimEvidence[]): Verdict {
  if (evidence.length === 0) return 'inconclusive';
  const first = (evidence[0] as ClaimEvidence).verdict;
  return evidence.every((e) => e.verdict === first) ? first : 'inconclusive';
}

/**
 * The verdict of the seed-averaged numbers, kept only when every seed alone reaches it too: a
 * claim should not rest on one lucky seed (with one seed there is nothing to check).
 */
function agreeAcrossSeeds(mean: Verdict, perSeed: readonly Verdict[]): Verdict {
  return perSeed.every((v) => v === mean) ? mean : 'inconclusive';
}

const list = (values: readonly (number | null)[]) => values.map(f).join(', ');

/** "; smallest training margin (evaluation mode) 0.123": where margins were recorded. */
function marginNote(e: CellEffect): string {
  return e.minMargin === null
    ? ''
    : `; smallest training margin (evaluation mode) ${f(e.minMargin)}: ${e.separated ? 'separated' : 'not separated'}`;
}

function describe(e: CellEffect): string {
  const seeds =
    e.bySeed.length === 0
      ? `${e.seeds} seed${e.seeds === 1 ? '' : 's'}`
      : `${e.seeds} seeds (per seed: E ${list(e.bySeed.map((s) => s.early))}; L ${list(e.bySeed.map((s) => s.fractionLeft))})`;
  return `E = ${f(e.early)} (epoch ${e.earlyEpoch}), S_end = ${f(e.late)}, L = ${f(e.fractionLeft)} over ${e.epochs.length} evaluations, ${e.weights.length} weights, ${seeds}; train accuracy at the end ${f(e.trainAccuracy)}${marginNote(e)}`;
}

/** The paper's objective is importance-weighted cross-entropy (reference A.2): 2 logits or 1. */
export const PAPER_LOSSES: readonly string[] = ['ce', 'bce'];

/**
 * Whether a cell can be evidence for the paper's claims: trained with the paper's loss. Cells of
 * other losses (poly, LDAM, ...) are what the claims are compared against, not evidence for them:
 * some are designed to keep the effect the paper says cross-entropy loses.
 */
export function testsPaperClaims(cell: Cell): boolean {
  return PAPER_LOSSES.includes((cell.runs[0] as RunSeries).spec.loss.name);
}

/**
 * The verdict on each claim of the paper, from the weight effects of the cells trained with the
 * paper's loss (`testsPaperClaims`; others are ignored). A claim with no cell to test it (e.g. the
 * CIFAR part was skipped) is 'inconclusive' with no evidence.
 */
export function evaluateClaims(
  allEffects: readonly CellEffect[],
  thresholds: ClaimThresholds = DEFAULT_CLAIM_THRESHOLDS,
): Claim[] {
  const t = thresholds;
  const effects = allEffects.filter((e) => testsPaperClaims(e.cell));
  const base = (arm: Arm) => effects.filter((e) => e.cell.arm === arm);
  // The unregularized cell of the same experiment and model that is otherwise most alike: with
  // runs of several plans in one store, an arm is compared with its own plan's cell.
  const unregularizedFor = (e: CellEffect) => {
    let best: CellEffect | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const o of effects) {
      if (o.cell.arm !== 'none' || o.cell.experiment !== e.cell.experiment) continue;
      if (o.cell.model !== e.cell.model) continue;
      const d = cellDistance(e.cell, o.cell);
      if (d < bestDistance) [best, bestDistance] = [o, d];
    }
    return best;
  };
  const keeps = (d: number): Verdict =>
    d >= t.keeps ? 'reproduced' : d <= t.keepsNot ? 'not reproduced' : 'inconclusive';
  const invert = (v: Verdict): Verdict =>
    v === 'reproduced' ? 'not reproduced' : v === 'not reproduced' ? 'reproduced' : v;
  // A cell's S_end per seed; a cell of one seed has just its own.
  const lateBySeed = (e: CellEffect): Map<number, number> =>
    e.seeds === 1
      ? new Map([[(e.cell.runs[0] as RunSeries).spec.seed, e.late]])
      : new Map(e.bySeed.map((s) => [s.seed, s.late]));
  // S_end(arm) − S_end(none), averaged and per seed that both cells ran (none when neither cell
  // has more than one seed: the one pair would be the average again).
  const differences = (arm: CellEffect, none: CellEffect) => {
    const other = lateBySeed(none);
    const perSeed =
      arm.seeds < 2 && none.seeds < 2
        ? []
        : [...lateBySeed(arm)].flatMap(([seed, late]) => {
            const reference = other.get(seed);
            return reference === undefined ? [] : [late - reference];
          });
    const before =
      arm.lateBefore === null || none.lateBefore === null ? null : arm.lateBefore - none.lateBefore;
    return { mean: arm.late - none.late, before, perSeed };
  };
  // unseparated: a claim that the arm behaves like the unregularized net, whose effect fades once
  // it separates its training data (dropout). An arm that keeps more without having separated it
  // (known in evaluation mode only: with dropout on, the training accuracy understates the fit)
  // may still be on its way down.
  const versus = (arm: Arm, flip: boolean, swap: boolean, unseparated = false): ClaimEvidence[] =>
    base(arm).flatMap((e) => {
      const none = unregularizedFor(e);
      if (none === undefined) return [];
      // swap: the claim is that the unregularized cell keeps more than the arm.
      const keepsMore = (armMinusNone: number) => keeps(swap ? -armMinusNone : armMinusNone);
      const d = differences(e, none);
      const seedsAgree = agreeAcrossSeeds(keepsMore(d.mean), d.perSeed.map(keepsMore));
      // Is the difference still moving, beyond the noise, towards another verdict?
      const change = d.before === null ? null : d.mean - d.before;
      const [armNoise, noneNoise] = [
        lateChangeVariance(e.contrast),
        lateChangeVariance(none.contrast),
      ];
      const noise =
        armNoise === null || noneNoise === null ? null : Math.sqrt(armNoise + noneNoise);
      const moving =
        change !== null &&
        noise !== null &&
        Math.abs(change) > 2 * noise &&
        keepsMore(d.mean + change) !== keepsMore(d.mean);
      const unfitted =
        unseparated &&
        keepsMore(d.mean) === 'reproduced' &&
        e.separatedBy === 'evaluation' &&
        e.separated === false;
      const verdict = moving || unfitted ? 'inconclusive' : seedsAgree;
      const perSeed = d.perSeed.length === 0 ? '' : ` (per seed: ${list(d.perSeed)})`;
      const trend =
        change === null || noise === null
          ? ''
          : `; the window before: ${f(d.before)} (change ${f(change)} ± ${f(noise)})${moving ? `, still moving: one window on ${f(d.mean + change)}, train longer` : ''}`;
      return [
        {
          cell: e.cell.label,
          verdict: flip ? invert(verdict) : verdict,
          numbers: `S_end = ${f(e.late)} (${arm}) vs ${f(none.late)} (${none.cell.label === baseLabel(none.cell) ? 'none' : none.cell.label}), difference ${f(d.mean)}${perSeed}${trend}; L = ${f(e.fractionLeft)} vs ${f(none.fractionLeft)}; train accuracy at the end ${f(e.trainAccuracy)} vs ${f(none.trainAccuracy)}${e.minMargin === null ? '' : `; smallest training margin (evaluation mode) ${f(e.minMargin)} vs ${f(none.minMargin)}`}${unfitted ? `: the ${arm} cell has not separated its training data, train longer` : ''}`,
        },
      ];
    });
  const moved = (early: number): Verdict =>
    early >= t.earlyEffect ? 'reproduced' : 'not reproduced';
  const early = base('none').map((e) => ({
    cell: e.cell.label,
    verdict: agreeAcrossSeeds(
      moved(e.early),
      e.bySeed.map((s) => moved(s.early)),
    ),
    numbers: describe(e),
  }));
  // There must have been an early effect to fade (L of a noise-sized E means nothing). And the
  // paper says the effect fades once the net separates its training data: a cell that kept the
  // effect without getting there has not tested it (train longer). Not recorded at all (null):
  // judged by L alone.
  const faded = (m: { early: number; fractionLeft: number | null }, separated: boolean) =>
    m.fractionLeft === null || m.early < t.earlyEffect
      ? 'inconclusive'
      : Math.abs(m.fractionLeft) <= t.faded
        ? 'reproduced'
        : Math.abs(m.fractionLeft) >= t.persisted && separated
          ? 'not reproduced'
          : 'inconclusive';
  const fades = base('none').map((e) => {
    const separated = e.separated !== false;
    return {
      cell: e.cell.label,
      verdict: agreeAcrossSeeds(
        faded(e, separated),
        e.bySeed.map((s) => faded(s, separated)),
      ),
      numbers: describe(e),
    };
  });
  const seedRule =
    'with several seeds, each seed alone must reach the same verdict, else inconclusive';
  const trendRule =
    'inconclusive too when the seed-averaged difference moved from the window before by over twice that change’s noise (the contrasts’ scatter within the windows) and one more such move would change the verdict (still moving)';
  const keepRule = `S_end(arm) − S_end(none, same experiment and model) ≥ ${t.keeps}: keeps more; ≤ ${t.keepsNot}: keeps no more; between: inconclusive; ${seedRule} (seeds paired), ${trendRule}`;
  const claims: Omit<Claim, 'verdict'>[] = [
    {
      id: 'early-effect',
      statement: 'Importance weights change the predictions early in training',
      source: 'A.1 finding 1; A.4.7',
      evidence: early,
      rule: `unregularized cells: early effect E (max contrast of the fraction predicted as class 1, highest weight − lowest, in the first ⌈T/10⌉ evaluations) ≥ ${t.earlyEffect}; ${seedRule}`,
    },
    {
      id: 'effect-fades',
      statement: 'Without regularization the effect of the weights fades over the epochs',
      source: 'A.1 finding 1; A.4.7',
      evidence: fades,
      rule: `unregularized cells with an early effect (E ≥ ${t.earlyEffect}, else inconclusive): |L| = |S_end / E| ≤ ${t.faded}: faded; ≥ ${t.persisted}: persisted, when every run separated its training data (its smallest training margin positive in evaluation mode where margins were recorded, else train accuracy 1 at the end; else inconclusive: train longer); between: inconclusive; ${seedRule}`,
    },
    {
      id: 'l2-keeps',
      statement: 'L2 regularization keeps some of the effect',
      source: 'A.1 finding 2; A.4.7',
      evidence: versus('l2', false, false),
      rule: keepRule,
    },
    {
      id: 'dropout-does-not',
      statement: 'Dropout does not keep the effect',
      source: 'A.1 finding 2; A.4.7',
      evidence: versus('dropout', true, false, true),
      rule: `reproduced when dropout keeps no more than the unregularized run: ${keepRule}; a dropout cell that keeps more while its training margins (evaluation mode, where recorded) show it has not separated its training data: inconclusive (train longer)`,
    },
    {
      id: 'batchnorm-keeps',
      statement: 'Batch normalization keeps some of the effect (reading of the abstract)',
      source: 'A.1 finding 2; A.4.7 (conflict)',
      evidence: versus('batchnorm', false, false),
      rule: keepRule,
    },
    {
      id: 'no-batchnorm-more-sensitive',
      statement:
        'The network without batch norm keeps more of the effect (reading of the hjw reproduction)',
      source: 'A.4.7 (conflict)',
      evidence: versus('batchnorm', false, true).map((e) => ({
        ...e,
        numbers: e.numbers.replace('difference', 'difference (batchnorm − none)'),
      })),
      rule: `reproduced when S_end(none) − S_end(batchnorm) ≥ ${t.keeps}; ≤ ${t.keepsNot}: not; between: inconclusive; ${seedRule} (seeds paired), ${trendRule}`,
    },
  ];
  return claims.map((c) => ({ ...c, verdict: combine(c.evidence) }));
}
