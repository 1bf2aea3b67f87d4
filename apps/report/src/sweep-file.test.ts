import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { logregInput } from './__tests__/specs.js';
import { readSweepFile } from './sweep-file.js';

const base = logregInput({
  data: { kind: 'synthetic', generator: 'moons', trainSize: 32, testSize: 32 },
  epochs: 3,
});

function file(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'iwlab-sweep-')), 'plan.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('readSweepFile', () => {
  it('expands the base spec over the axes', async () => {
    const sweep = await readSweepFile(
      file({
        title: 'Losses',
        notes: ['why'],
        base,
        axes: [
          { path: 'loss', values: [{ name: 'ce' }, { name: 'poly', params: { alpha: 2 } }] },
          {
            merge: [
              { weights: { kind: 'ratio', ratio: 0.5 } },
              { weights: { kind: 'ratio', ratio: 2 } },
            ],
          },
        ],
      }),
    );
    expect(sweep.title).toBe('Losses');
    expect(sweep.notes).toEqual(['why']);
    expect(sweep.points).toHaveLength(4);
    expect(sweep.points.map((p) => p.spec.loss.name)).toEqual(['ce', 'ce', 'poly', 'poly']);
    expect(sweep.points[2]?.spec.loss.params).toEqual({ alpha: 2, type: 'logit' });
    // No axes: one run.
    expect((await readSweepFile(file({ base }))).points).toHaveLength(1);
  });

  it('names the file and the field of every mistake', async () => {
    const missing = join(tmpdir(), 'no-such-iwlab-sweep.json');
    await expect(readSweepFile(missing)).rejects.toThrow(`${missing}: cannot read the sweep file`);
    const notJson = file('{ "base": ');
    await expect(readSweepFile(notJson)).rejects.toThrow(`${notJson}: not JSON`);
    const typo = file({ base, axis: [] });
    await expect(readSweepFile(typo)).rejects.toThrow(`${typo}, field (top level):`);
    const emptyAxis = file({ base, axes: [{ path: 'seed', values: [] }] });
    await expect(readSweepFile(emptyAxis)).rejects.toThrow(`${emptyAxis}, field axes.0.values`);
    const noValues = file({ base, axes: [{ path: 'seed' }] });
    await expect(readSweepFile(noValues)).rejects.toThrow(
      `${noValues}, field axes.0: an axis is { "path"`,
    );
    const badSpec = file({ base: { ...base, model: { kind: 'logreg', dropout: 2 } } });
    await expect(readSweepFile(badSpec)).rejects.toThrow(
      new RegExp(`^${badSpec}: .*model\\.dropout`),
    );
    const badLoss = file({ base, axes: [{ path: 'loss', values: [{ name: 'nope' }] }] });
    await expect(readSweepFile(badLoss)).rejects.toThrow(/loss\.name/);
  });

  it('reads the examples the README points to', async () => {
    const example = (name: string) =>
      readSweepFile(fileURLToPath(new URL(`../examples/${name}`, import.meta.url)));
    const losses = await example('losses-2d.json');
    expect(losses.points).toHaveLength(24);
    expect(new Set(losses.points.map((p) => p.spec.loss.name))).toEqual(
      new Set(['ce', 'poly', 'exponential']),
    );
    const moons = await example('moons-imbalanced.json');
    expect(moons.points).toHaveLength(4);
    expect(moons.points[0]?.spec).toMatchObject({
      shift: { kind: 'subsample', fractions: [0.1, 1] },
      weights: { kind: 'ratio', ratio: 0.1 },
      epochs: 10_000,
    });
  });
});
