import { describe, expect, it } from 'vitest';
import { PAPER_WEIGHT_RATIOS, reproducePlan } from './presets.js';

const ratios = (points: readonly { spec: { weights: unknown } }[]) =>
  [...new Set(points.map((p) => (p.spec.weights as { ratio: number }).ratio))].sort(
    (a, b) => a - b,
  );

describe('reproducePlan', () => {
  it("uses the paper's nine dog:cat ratios 1/256 .. 256 at full scale", () => {
    expect(PAPER_WEIGHT_RATIOS).toEqual([1 / 256, 1 / 64, 1 / 16, 1 / 4, 1, 4, 16, 64, 256]);
    const full = reproducePlan('full', 3);
    const cifar = full.parts.find((p) => p.needsCifar);
    expect(ratios(cifar?.points ?? [])).toEqual(PAPER_WEIGHT_RATIOS);
    expect(cifar?.points.every((p) => p.spec.epochs === 1000)).toBe(true);
    // 5 arms (CNN none/L2/dropout, ResNet-20 with and without BN) x 9 ratios x 3 seeds.
    expect(cifar?.points).toHaveLength(5 * 9 * 3);
    expect(full.parts[0]?.points.every((p) => p.spec.epochs === 10_000)).toBe(true);
  });

  it('small: 2-D (5 arms x 3 weights) and CIFAR (4 arms x 3 weights) per seed, all ids distinct', () => {
    const small = reproducePlan('small', 2);
    const [twoD, cifar] = small.parts;
    expect(twoD?.points).toHaveLength(5 * 3 * 2);
    expect(cifar?.points).toHaveLength(4 * 3 * 2);
    expect(ratios(twoD?.points ?? [])).toEqual([0.1, 1, 10]);
    const all = small.parts.flatMap((p) => p.points.map((q) => q.id));
    expect(new Set(all).size).toBe(all.length);
    const dropout = cifar?.points.find((p) => p.spec.model.dropout > 0);
    expect(dropout?.spec.optimizer).toMatchObject({ lr: 0.005, momentum: 0.9 });
    expect(cifar?.points.some((p) => p.spec.model.batchNorm)).toBe(true);
    expect(small.shortened.join(' ')).toMatch(/instead of 1,000/);
  });

  it('tiny is 2-D only', () => {
    const tiny = reproducePlan('tiny', 1);
    expect(tiny.parts).toHaveLength(1);
    expect(tiny.parts[0]?.points).toHaveLength(4);
  });
});
