import { describe, expect, it } from 'vitest';
import { formatPlan, PAPER_WEIGHT_RATIOS, reproducePlan } from './plan.js';

describe('reproducePlan', () => {
  it("uses the paper's nine dog:cat ratios 1/256 .. 256", () => {
    expect(PAPER_WEIGHT_RATIOS).toEqual([1 / 256, 1 / 64, 1 / 16, 1 / 4, 1, 4, 16, 64, 256]);
  });
  it('scales epochs with the preset and runs with the seeds', () => {
    const small = reproducePlan({ preset: 'small', seeds: 1 });
    const full = reproducePlan({ preset: 'full', seeds: 3 });
    const cifar = (p: typeof small) => p.filter((a) => a.experiment.startsWith('CIFAR'));
    expect(cifar(full).every((a) => a.epochs === 1000)).toBe(true);
    expect(cifar(small)[0]?.runs).toBe(9);
    expect(cifar(full)[0]?.runs).toBe(27);
    expect(formatPlan(full)).toMatch(/256:1/);
    expect(formatPlan(full)).toMatch(/1:256/);
  });
});
