import { DataError, SpecError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { boundaryAngle } from './boundary.js';
import { maxMarginSeparator } from './svm.js';

describe('maxMarginSeparator', () => {
  it('finds the midline between two points', () => {
    const s = maxMarginSeparator(
      [
        [1, 0],
        [-1, 0],
      ],
      [1, 0],
    );
    expect(s.weights[0]).toBeCloseTo(1, 8);
    expect(s.weights[1]).toBeCloseTo(0, 8);
    expect(s.bias).toBeCloseTo(0, 8);
    expect(s.margin).toBeCloseTo(1, 8);
  });

  it('solves a 3-support-vector case by hand and ignores far points', () => {
    // Positives (±1, 1) and (0, 5); negatives (0, −1) and (3, −4). The closest parts of the two
    // hulls are the segment y = 1 and the point (0, −1): the separator is y = 0, margin 1.
    const s = maxMarginSeparator(
      [
        [1, 1],
        [-1, 1],
        [0, 5],
        [0, -1],
        [3, -4],
      ],
      [1, 1, 1, -1, -1],
    );
    expect(s.weights[0]).toBeCloseTo(0, 7);
    expect(s.weights[1]).toBeCloseTo(1, 7);
    expect(s.bias).toBeCloseTo(0, 7);
    expect(s.margin).toBeCloseTo(1, 7);
    expect(s.supportVectors).not.toContain(2);
    expect(s.supportVectors).not.toContain(4);
    expect(s.supportVectors).toContain(3);
  });

  it('finds an offset and tilted separator', () => {
    // (0, 3)+ and (0, 1)−: boundary y = 2, w = (0, 1), b = −2.
    const s = maxMarginSeparator(
      [
        [0, 3],
        [0, 1],
      ],
      [1, -1],
    );
    expect(s.weights[1]).toBeCloseTo(1, 8);
    expect(s.bias).toBeCloseTo(-2, 8);
    // (1, 1)+ and (0, 0)−: normal along (1, 1), margin √2/2, boundary x + y = 1.
    const t = maxMarginSeparator(
      [
        [1, 1],
        [0, 0],
      ],
      [1, 0],
    );
    expect(boundaryAngle(t.weights, [1, 1])).toBeCloseTo(0, 5);
    expect(t.margin).toBeCloseTo(Math.SQRT1_2, 8);
    expect(t.bias).toBeCloseTo(-1, 8);
  });

  it('separates a random separable set with every point at functional margin >= 1', () => {
    // Deterministic points on both sides of x + 2y = 0.5, at distance >= 0.2.
    const points: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 60; i++) {
      const a = Math.sin(i * 12.9898) * 3;
      const b = Math.cos(i * 78.233) * 3;
      const f = (a + 2 * b - 0.5) / Math.sqrt(5);
      if (Math.abs(f) < 0.2) continue;
      points.push([a, b]);
      labels.push(f > 0 ? 1 : -1);
    }
    const s = maxMarginSeparator(points, labels);
    const fs = points.map(
      (p, i) =>
        (labels[i] as number) *
        ((s.weights[0] as number) * (p[0] as number) +
          (s.weights[1] as number) * (p[1] as number) +
          s.bias),
    );
    expect(Math.min(...fs)).toBeCloseTo(1, 6);
    // Independent check in 2-D: the best margin over a fine scan of directions u is
    // max_u (min_+ u·x − max_− u·x) / 2.
    let best = 0;
    for (let k = 0; k < 20000; k++) {
      const angle = (2 * Math.PI * k) / 20000;
      const proj = points.map(
        (p) => Math.cos(angle) * (p[0] as number) + Math.sin(angle) * (p[1] as number),
      );
      const pos = Math.min(...proj.filter((_, i) => labels[i] === 1));
      const neg = Math.max(...proj.filter((_, i) => labels[i] === -1));
      best = Math.max(best, (pos - neg) / 2);
    }
    expect(s.margin).toBeGreaterThanOrEqual(best - 1e-9);
    expect(s.margin).toBeCloseTo(best, 4);
  });

  it('reports non-separable input clearly', () => {
    const xor = [
      [0, 0],
      [1, 1],
      [1, 0],
      [0, 1],
    ];
    expect(() => maxMarginSeparator(xor, [1, 1, 0, 0])).toThrow(DataError);
    expect(() => maxMarginSeparator(xor, [1, 1, 0, 0])).toThrow(/not linearly separable/);
    expect(() =>
      maxMarginSeparator(
        [
          [1, 2],
          [1, 2],
        ],
        [1, 0],
      ),
    ).toThrow(/not linearly separable/);
  });

  it('rejects malformed input, naming the field', () => {
    expect(() => maxMarginSeparator([[0], [1]], [1, 1])).toThrow(/both classes/);
    expect(() => maxMarginSeparator([[0], [1]], [1, 2])).toThrow(/labels\[1\]/);
    expect(() => maxMarginSeparator([[0], [1, 2]], [1, 0])).toThrow(/points\[1\]/);
    expect(() => maxMarginSeparator([[0]], [1, 0])).toThrow(SpecError);
  });
});

describe('maxMarginSeparator without bias', () => {
  it('finds the separator through the origin by hand', () => {
    // (2, 1)+ and (0, −1)−: the reflected points are (2, 1) and (0, 1); the nearest point of their
    // hull to the origin is (0, 1), which still has u·(2, 1) = 1 ≥ 1: w = (0, 1), margin 1.
    const s = maxMarginSeparator(
      [
        [2, 1],
        [0, -1],
      ],
      [1, 0],
      { bias: false },
    );
    expect(s.bias).toBe(0);
    expect(s.weights[0]).toBeCloseTo(0, 8);
    expect(s.weights[1]).toBeCloseTo(1, 8);
    expect(s.margin).toBeCloseTo(1, 8);
    expect(s.supportVectors).toEqual([1]);
    // (3, 4)+ alone with (−3, −4)−: the normal is along (3, 4), margin 5.
    const t = maxMarginSeparator(
      [
        [3, 4],
        [-3, -4],
      ],
      [1, -1],
      { bias: false },
    );
    expect(t.margin).toBeCloseTo(5, 8);
    expect(t.weights[0]).toBeCloseTo(3 / 25, 8);
  });

  it('reports points that only a biased separator could split', () => {
    // Both classes on the same ray from the origin.
    expect(() => maxMarginSeparator([[1], [2]], [1, 0], { bias: false })).toThrow(
      /not linearly separable through the origin/,
    );
  });
});
