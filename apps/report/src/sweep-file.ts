// `iwlab sweep <file>`: a plan of the researcher's own, as JSON. A base experiment spec and grid
// axes (the same grids the presets are built from), so any spec field can be swept: the loss,
// its parameters, the weights, a regularizer, the seed.
import { readFile } from 'node:fs/promises';
import { IwlabError, SpecError } from '@iwlab/core';
import { expandGrid, type GridAxis, type GridPoint } from '@iwlab/experiments';
import { z } from 'zod';

const axisSchema = z.union(
  [
    z.strictObject({ path: z.string().min(1), values: z.array(z.unknown()).min(1) }),
    z.strictObject({ merge: z.array(z.record(z.string(), z.unknown())).min(1) }),
  ],
  {
    error:
      'an axis is { "path": "a.dotted.field", "values": [at least one] } or { "merge": [at least one partial spec] }',
  },
);

const sweepFileSchema = z.strictObject({
  /** The report's title. */
  title: z.string().min(1).optional(),
  /** Lines shown at the top of the report: what the plan is for, how it departs from a paper. */
  notes: z.array(z.string()).default([]),
  /** A partial experiment spec (`@iwlab/experiments`' schema) that every run starts from. */
  base: z.record(z.string(), z.unknown()),
  /** Grid axes: `{ path, values }` sets one field, `{ merge }` merges whole partial specs. */
  axes: z.array(axisSchema).default([]),
});

export interface SweepFile {
  readonly title?: string;
  readonly notes: readonly string[];
  readonly points: readonly GridPoint[];
}

/** Reads and expands a sweep file; every error names the file and the field. */
export async function readSweepFile(file: string): Promise<SweepFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SpecError(`cannot read the sweep file: ${(error as Error).message}`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SpecError(`not JSON: ${(error as Error).message}`, { file });
  }
  const parsed = sweepFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SpecError(issue?.message ?? 'invalid sweep file', {
      file,
      field: issue?.path.map(String).join('.') || '(top level)',
    });
  }
  const { title, notes, base, axes } = parsed.data;
  let points: GridPoint[];
  try {
    points = expandGrid(base, axes as GridAxis[]);
  } catch (error) {
    if (!(error instanceof IwlabError)) throw error;
    // The spec's own field (e.g. "model.dropout") is named relative to `base` with axes applied.
    throw new SpecError(error.message, { file }, { cause: error });
  }
  return { ...(title === undefined ? {} : { title }), notes, points };
}
