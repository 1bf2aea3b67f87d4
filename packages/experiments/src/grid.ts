// A sweep is a grid: the cartesian product of overrides applied to a base spec. Overrides are
// addressed by dotted paths ("weights.ratio", "model.l2"), or are whole partial objects merged
// in (an "arm" such as { model: { dropout: 0.5 }, optimizer: { lr: 0.05 } }).
import { SpecError } from '@iwlab/core';
import { type ExperimentSpec, resolveSpec, runId } from './spec.js';

/** One axis of a grid: a dotted path and its values, or a list of partial specs to merge. */
export type GridAxis =
  | { readonly path: string; readonly values: readonly unknown[] }
  | { readonly merge: readonly Readonly<Record<string, unknown>>[] };

export interface GridPoint {
  readonly id: string;
  readonly spec: ExperimentSpec;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge; arrays and scalars in `patch` replace those in `base`. */
export function mergeDeep(
  base: Readonly<Record<string, unknown>>,
  patch: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
  }
  return out;
}

/** `obj` with `path` (dotted) set to `value`; intermediate objects are created as needed. */
export function setPath(
  obj: Readonly<Record<string, unknown>>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (head === undefined || head === '') {
    throw new SpecError(`empty segment in grid path "${path}"`, { field: 'grid' });
  }
  if (rest.length === 0) return { ...obj, [head]: value };
  const child = obj[head];
  return { ...obj, [head]: setPath(isPlainObject(child) ? child : {}, rest.join('.'), value) };
}

/**
 * Every combination of the axes' values applied to `base`, resolved and identified. The first
 * axis varies slowest. Points that resolve to the same spec (and so the same id) appear once.
 * A bad combination raises the SpecError of `resolveSpec`, prefixed with the axis values.
 */
export function expandGrid(
  base: Readonly<Record<string, unknown>>,
  axes: readonly GridAxis[],
): GridPoint[] {
  let partials: Record<string, unknown>[] = [{ ...base }];
  axes.forEach((axis, a) => {
    const options = 'path' in axis ? axis.values : axis.merge;
    if (options.length === 0) {
      throw new SpecError('a grid axis has no values', { field: `grid[${a}]` });
    }
    partials = partials.flatMap((p) =>
      options.map((option) =>
        'path' in axis
          ? setPath(p, axis.path, option)
          : mergeDeep(p, option as Record<string, unknown>),
      ),
    );
  });
  const seen = new Set<string>();
  const points: GridPoint[] = [];
  for (const partial of partials) {
    const spec = resolveSpec(partial);
    const id = runId(spec);
    if (seen.has(id)) continue;
    seen.add(id);
    points.push({ id, spec });
  }
  return points;
}
