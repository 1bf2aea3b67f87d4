// Static SVG charts: Vega-Lite specs compiled and rendered headless in Node (no browser, no
// canvas), so the report carries its plots inline and opens offline.
import type { CellEffect, RunSeries } from '@iwlab/experiments';
import { ratioLabel, weightRatio } from '@iwlab/experiments';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Mixes two '#rrggbb' colours; t = 0 gives `from`, 1 gives `to`. */
function mix(from: string, to: string, t: number): string {
  const channel = (hex: string, i: number) => Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16);
  const parts = [0, 1, 2].map((i) =>
    Math.round(channel(from, i) + (channel(to, i) - channel(from, i)) * t)
      .toString(16)
      .padStart(2, '0'),
  );
  return `#${parts.join('')}`;
}

/**
 * Blues for class-0-heavy weights, reds for class-1-heavy, darker the further from 1:1, and
 * near-black for 1:1 itself: the unweighted run is the reference every other curve is read
 * against, so it must not vanish into the white middle of a diverging scheme.
 */
export function weightColors(sortedRatios: readonly number[]): string[] {
  const extreme = Math.max(...sortedRatios.map((r) => Math.abs(Math.log(r))), 1e-12);
  return sortedRatios.map((r) => {
    const t = Math.abs(Math.log(r)) / extreme;
    if (Math.abs(Math.log(r)) < 1e-9) return '#252525';
    return r < 1 ? mix('#9ecae1', '#08306b', t) : mix('#fc9272', '#67000d', t);
  });
}

const weightColor = (ratios: readonly number[]) => {
  const sorted = [...ratios].sort((a, b) => a - b);
  return {
    field: 'weight',
    type: 'ordinal' as const,
    title: 'weight (class 1 : class 0)',
    sort: sorted.map(ratioLabel),
    scale: { domain: sorted.map(ratioLabel), range: weightColors(sorted) },
    legend: { titleLimit: 300 },
  };
};

export interface SeriesRow {
  panel: string;
  split: string;
  weight: string;
  epoch: number;
  mean: number;
  lo: number;
  hi: number;
}

/**
 * Mean and ± one standard deviation over seeds, per weight and evaluation: one curve per weight,
 * each thinned for drawing (`thinCurve`).
 */
function bands(
  effect: CellEffect,
  split: string,
  key: string,
  panel: string,
  logEpochs: boolean,
): SeriesRow[] {
  const byWeight = new Map<number, RunSeries[]>();
  for (const run of effect.cell.runs) {
    const w = weightRatio(run.spec);
    byWeight.set(w, [...(byWeight.get(w) ?? []), run]);
  }
  return [...byWeight].flatMap(([w, runs]) => {
    const curve: SeriesRow[] = [];
    effect.epochs.forEach((epoch, i) => {
      const values = runs
        .map((r) => r.series[split]?.[key]?.[i])
        .filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (values.length === 0) return;
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
      curve.push({
        panel,
        split,
        weight: ratioLabel(w),
        epoch,
        mean,
        lo: mean - sd,
        hi: mean + sd,
      });
    });
    return thinCurve(curve, MAX_POINTS_PER_CURVE, logEpochs);
  });
}

/**
 * The most points a curve is drawn with. The paper-scale plan evaluates 2-D runs 10,000 times and
 * CIFAR runs 1,000: drawn whole, a store shaped like it (one seed) gave a 30 MB report that took
 * 27 s and 3 GB of memory to build; thinned, 6 MB, 6 s and 0.6 GB. Curves are thinned for drawing
 * only; every number in the report uses every evaluation.
 */
export const MAX_POINTS_PER_CURVE = 400;

/**
 * Thins one curve (points in epoch order) to at most `max` points the way a plot reads it: the x
 * axis as drawn (log epochs on a log axis) is cut into max/4 equal columns, and each column keeps
 * its first, last, lowest and highest point (the M4 scheme). So the line's extremes survive, and
 * on a log axis the first epochs, where the weights act, keep every point. Library thinning
 * (largest-triangle-three-buckets in `downsample`) buckets by point count, which on a log axis
 * would leave epochs 1-25 of 10,000 one bucket.
 */
export function thinCurve(
  curve: readonly SeriesRow[],
  max: number,
  logEpochs: boolean,
): SeriesRow[] {
  if (curve.length <= max) return [...curve];
  const drawnX = (row: SeriesRow) => (logEpochs ? Math.log(row.epoch) : row.epoch);
  const columns = Math.max(1, Math.floor(max / 4));
  const x0 = drawnX(curve[0] as SeriesRow);
  const width = (drawnX(curve.at(-1) as SeriesRow) - x0) / columns || 1;
  const kept = new Set<number>();
  let column = -1;
  let first = 0;
  const close = (end: number) => {
    // Rows first..end-1 fall in one column: keep its first, last, lowest and highest.
    let lo = first;
    let hi = first;
    for (let i = first; i < end; i++) {
      if ((curve[i] as SeriesRow).mean < (curve[lo] as SeriesRow).mean) lo = i;
      if ((curve[i] as SeriesRow).mean > (curve[hi] as SeriesRow).mean) hi = i;
    }
    for (const i of [first, lo, hi, end - 1]) kept.add(i);
  };
  curve.forEach((row, i) => {
    const c = Math.min(columns - 1, Math.floor((drawnX(row) - x0) / width));
    if (c !== column) {
      if (column >= 0) close(i);
      column = c;
      first = i;
    }
  });
  close(curve.length);
  return [...kept].sort((a, b) => a - b).map((i) => curve[i] as SeriesRow);
}

export interface CurveOptions {
  readonly title: string;
  readonly splits: readonly string[];
  readonly key: string;
  readonly yTitle: string;
  readonly logEpochs?: boolean;
  readonly yDomain?: readonly [number, number];
}

/**
 * A cell's facet title inside its experiment's section: its label without the experiment, i.e.
 * "model · arm", plus what tells it apart from a cell of the same model and arm (e.g. "epochs 6").
 */
export function panelName(cell: CellEffect['cell']): string {
  const prefix = `${cell.experiment} · `;
  return cell.label.startsWith(prefix) ? cell.label.slice(prefix.length) : cell.label;
}

/** One line per weight (mean ± sd band over seeds) per epoch; columns = cells, rows = splits. */
export async function curvesChart(
  effects: readonly CellEffect[],
  options: CurveOptions,
): Promise<string> {
  const rows = effects.flatMap((e) =>
    options.splits.flatMap((split) =>
      bands(
        e,
        split,
        split === 'train' || !options.key.startsWith('fractionPredicted')
          ? options.key
          : e.cell.statistic,
        panelName(e.cell),
        options.logEpochs ?? false,
      ),
    ),
  );
  const ratios = [...new Set(effects.flatMap((e) => e.weights))];
  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'epoch',
    ...(options.logEpochs ? { scale: { type: 'log' as const } } : {}),
  };
  const y = {
    type: 'quantitative' as const,
    title: options.yTitle,
    ...(options.yDomain ? { scale: { domain: [...options.yDomain] } } : {}),
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    data: { values: rows },
    facet: {
      column: { field: 'panel', type: 'nominal', title: null },
      ...(options.splits.length > 1
        ? { row: { field: 'split', type: 'nominal', title: null, sort: [...options.splits] } }
        : {}),
    },
    spec: {
      width: 190,
      height: 140,
      layer: [
        {
          mark: { type: 'errorband', opacity: 0.25 },
          encoding: {
            x,
            y: { ...y, field: 'lo' },
            y2: { field: 'hi' },
            color: weightColor(ratios),
          },
        },
        {
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: { x, y: { ...y, field: 'mean' }, color: weightColor(ratios) },
        },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as unknown as TopLevelSpec;
  return renderSvg(spec);
}

export interface BoundarySnapshot {
  readonly panel: string;
  readonly weight: number;
  readonly epoch: number;
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  /** p(class 1), row-major over ys then xs. */
  readonly p1: readonly number[];
}

/** Where p(class 1) crosses 0.5 along the grid's rows and columns (linear interpolation). */
export function boundaryPoints(s: BoundarySnapshot): { x: number; y: number }[] {
  const nx = s.xs.length;
  const out: { x: number; y: number }[] = [];
  const at = (i: number, j: number) => (s.p1[j * nx + i] as number) - 0.5;
  for (let j = 0; j < s.ys.length; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const a = at(i, j);
      const b = at(i + 1, j);
      if (a === 0 || a * b < 0) {
        const t = a / (a - b);
        out.push({
          x: (s.xs[i] as number) + t * ((s.xs[i + 1] as number) - (s.xs[i] as number)),
          y: s.ys[j] as number,
        });
      }
    }
  }
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j + 1 < s.ys.length; j++) {
      const a = at(i, j);
      const b = at(i, j + 1);
      if (a * b < 0) {
        const t = a / (a - b);
        out.push({
          x: s.xs[i] as number,
          y: (s.ys[j] as number) + t * ((s.ys[j + 1] as number) - (s.ys[j] as number)),
        });
      }
    }
  }
  return out;
}

/** Decision boundaries (p = 0.5) per weight over the test points; rows = cells, columns = epochs. */
export async function boundaryChart(
  snapshots: readonly BoundarySnapshot[],
  points: readonly { x: number; y: number; label: number }[],
): Promise<string> {
  const ratios = [...new Set(snapshots.map((s) => s.weight))];
  const panels = [...new Set(snapshots.map((s) => s.panel))];
  const epochs = [...new Set(snapshots.map((s) => s.epoch))].sort((a, b) => a - b);
  const rows: Record<string, unknown>[] = [];
  for (const panel of panels) {
    for (const epoch of epochs) {
      for (const p of points)
        rows.push({
          layer: 'data',
          panel,
          epoch,
          x: p.x,
          y: p.y,
          class: p.label === 1 ? 'positive' : 'negative',
        });
    }
  }
  for (const s of snapshots) {
    for (const p of boundaryPoints(s)) {
      rows.push({
        layer: 'boundary',
        panel: s.panel,
        epoch: s.epoch,
        weight: ratioLabel(s.weight),
        ...p,
      });
    }
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Decision boundaries (p = 0.5) by epoch; grey/black: balanced test points',
    data: { values: rows },
    facet: {
      row: { field: 'panel', type: 'nominal', title: null },
      column: { field: 'epoch', type: 'ordinal', title: 'after epoch', sort: epochs },
    },
    spec: {
      width: 150,
      height: 150,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'data'" }],
          mark: { type: 'point', size: 6, filled: true, opacity: 0.35 },
          encoding: {
            x: { field: 'x', type: 'quantitative', title: null },
            y: { field: 'y', type: 'quantitative', title: null },
            shape: { field: 'class', type: 'nominal', title: 'test class' },
            color: { value: '#555' },
          },
        },
        {
          transform: [{ filter: "datum.layer === 'boundary'" }],
          mark: { type: 'point', size: 4, filled: true },
          encoding: {
            x: { field: 'x', type: 'quantitative' },
            y: { field: 'y', type: 'quantitative' },
            color: weightColor(ratios),
          },
        },
      ],
    },
  } as unknown as TopLevelSpec;
  return renderSvg(spec);
}

/** Final fraction predicted as class 1 against the weight ratio, one line per split. */
export async function finalFractionChart(
  effect: CellEffect,
  splits: readonly string[],
): Promise<string> {
  const rows = splits.flatMap((split) =>
    effect.cell.runs.flatMap((run) => {
      const values = run.series[split]?.[effect.cell.statistic];
      const last = values?.[effect.epochs.length - 1];
      return last === undefined ? [] : [{ split, ratio: weightRatio(run.spec), value: last }];
    }),
  );
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${effect.cell.label}: final fraction predicted as class 1 vs weight (mean ± sd over seeds)`,
    data: { values: rows },
    width: 320,
    height: 180,
    layer: [
      {
        mark: { type: 'errorbar', extent: 'stdev' },
        encoding: {
          x: {
            field: 'ratio',
            type: 'quantitative',
            scale: { type: 'log', base: 2 },
            title: 'weight ratio w1/w0',
          },
          y: { field: 'value', type: 'quantitative', title: 'fraction predicted class 1' },
          color: { field: 'split', type: 'nominal' },
        },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'ratio', type: 'quantitative', scale: { type: 'log', base: 2 } },
          y: { aggregate: 'mean', field: 'value', type: 'quantitative', scale: { domain: [0, 1] } },
          color: { field: 'split', type: 'nominal' },
        },
      },
    ],
  } as unknown as TopLevelSpec;
  return renderSvg(spec);
}
