import { SpecError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { tinySpec } from './__tests__/specs.js';
import { expandGrid, mergeDeep, setPath } from './grid.js';

describe('expandGrid', () => {
  it('is the cartesian product of the axes, first axis slowest', () => {
    const points = expandGrid(tinySpec(), [
      {
        merge: [
          { model: { kind: 'logreg' } },
          { model: { kind: 'mlp', dropout: 0.5 }, optimizer: { lr: 0.05 } },
        ],
      },
      { path: 'weights.ratio', values: [0.25, 1, 4] },
      { path: 'seed', values: [0, 1] },
    ]);
    expect(points).toHaveLength(12);
    expect(points.map((p) => [p.spec.model.kind, p.spec.weights, p.spec.seed]).slice(0, 3)).toEqual(
      [
        ['logreg', { kind: 'ratio', ratio: 0.25 }, 0],
        ['logreg', { kind: 'ratio', ratio: 0.25 }, 1],
        ['logreg', { kind: 'ratio', ratio: 1 }, 0],
      ],
    );
    const mlp = points[6]?.spec;
    expect(mlp?.model).toMatchObject({ kind: 'mlp', dropout: 0.5 });
    // The merge kept the optimizer's other fields.
    expect(mlp?.optimizer).toMatchObject({ kind: 'sgd', lr: 0.05 });
    expect(new Set(points.map((p) => p.id)).size).toBe(12);
  });

  it('keeps one point per distinct resolved spec', () => {
    const points = expandGrid(tinySpec(), [
      { path: 'loss', values: [{ name: 'ce' }, { name: 'ce', params: {} }] },
    ]);
    expect(points).toHaveLength(1);
  });

  it('reports a bad combination with the field', () => {
    expect(() => expandGrid(tinySpec(), [{ path: 'model.dropout', values: [0.5] }])).toThrow(
      SpecError,
    );
    expect(() => expandGrid(tinySpec(), [{ path: 'seed', values: [] }])).toThrow(/no values/);
  });
});

describe('setPath and mergeDeep', () => {
  it('set nested values without touching the input', () => {
    const base = { a: { b: 1, c: [1, 2] } };
    expect(setPath(base, 'a.b', 2)).toEqual({ a: { b: 2, c: [1, 2] } });
    expect(setPath(base, 'x.y', 3)).toEqual({ a: { b: 1, c: [1, 2] }, x: { y: 3 } });
    expect(mergeDeep(base, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
    expect(base).toEqual({ a: { b: 1, c: [1, 2] } });
  });
});
