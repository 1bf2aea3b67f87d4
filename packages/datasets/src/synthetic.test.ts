import { describe, expect, it } from 'vitest';
import { classCounts } from './dataset.js';
import { moons, overlappingGaussians, separableGaussians } from './synthetic.js';

describe('synthetic 2-D data', () => {
  it('separable Gaussians keep the margin and the class balance, from the seed', () => {
    const d = separableGaussians({ n: 1000, positiveFraction: 0.1, margin: 0.8, seed: 1 });
    expect(classCounts(d)).toEqual([900, 100]);
    let closest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 1000; i++) {
      const along = (d.x[2 * i]! + d.x[2 * i + 1]!) * Math.SQRT1_2;
      const sign = d.y[i] === 1 ? 1 : -1;
      closest = Math.min(closest, sign * along);
    }
    expect(closest).toBeGreaterThanOrEqual(0.4 - 1e-6);
    expect(separableGaussians({ n: 1000, positiveFraction: 0.1, margin: 0.8, seed: 1 }).x).toEqual(
      d.x,
    );
    expect(separableGaussians({ n: 1000, margin: 0.8, seed: 2 }).x).not.toEqual(d.x);
  });

  it('overlapping Gaussians are not linearly separable along the mean axis', () => {
    const d = overlappingGaussians({ n: 2000, distance: 1, seed: 3 });
    let wrongSide = 0;
    for (let i = 0; i < 2000; i++) if ((d.x[2 * i]! > 0 ? 1 : 0) !== d.y[i]) wrongSide++;
    // Φ(-0.5) ≈ 0.31 of the points fall on the other side of x = 0.
    expect(wrongSide / 2000).toBeCloseTo(0.31, 1);
  });

  it('moons without noise lie on the two arcs', () => {
    const d = moons({ n: 10, noise: 0, seed: 0 });
    expect(Array.from(d.x.slice(0, 2))).toEqual([1, 0]);
    const last = 9;
    expect(d.x[2 * last]).toBeCloseTo(2, 6);
    expect(d.x[2 * last + 1]).toBeCloseTo(0.5, 6);
    const noisy = moons({ n: 200, noise: 0.1, seed: 4, positiveFraction: 0.25 });
    expect(classCounts(noisy)).toEqual([150, 50]);
  });

  it('rejects sizes that leave a class empty', () => {
    expect(() => moons({ n: 3, positiveFraction: 0.01, seed: 0 })).toThrow(/positiveFraction/);
    expect(() => separableGaussians({ seed: 0, margin: -1 })).toThrow(/margin/);
  });
});
