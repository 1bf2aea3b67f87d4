import { describe, expect, it } from 'vitest';
import { type LrSchedule, learningRateAt, validateLrSpec } from './schedules.js';

describe('learning-rate schedules', () => {
  it('constant and plain numbers', () => {
    expect(learningRateAt(0.1, 7)).toBe(0.1);
    expect(learningRateAt({ kind: 'constant', lr: 0.2 }, 99)).toBe(0.2);
  });

  it('step: LDAM-DRW milestones 160 and 180, x0.01 each', () => {
    const s: LrSchedule = { kind: 'step', lr: 0.1, milestones: [160, 180], gamma: 0.01 };
    expect(learningRateAt(s, 159)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, 160)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(s, 180)).toBeCloseTo(1e-5, 12);
  });

  it('cosine: lr at 0, half at the midpoint, minLr at the end and after', () => {
    const s: LrSchedule = { kind: 'cosine', lr: 1, epochs: 10, minLr: 0.1 };
    expect(learningRateAt(s, 0)).toBeCloseTo(1, 12);
    expect(learningRateAt(s, 5)).toBeCloseTo(0.55, 12);
    expect(learningRateAt(s, 10)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, 12)).toBeCloseTo(0.1, 12);
  });

  it('warm-up: (e + 1)/E of the wrapped schedule, then the schedule itself', () => {
    const s: LrSchedule = { kind: 'warmup', epochs: 5, after: { kind: 'constant', lr: 0.1 } };
    expect([0, 1, 4, 5, 9].map((e) => learningRateAt(s, e))).toEqual([
      expect.closeTo(0.02, 12),
      expect.closeTo(0.04, 12),
      expect.closeTo(0.1, 12),
      expect.closeTo(0.1, 12),
      expect.closeTo(0.1, 12),
    ]);
    // Per-step updates ramp continuously between whole epochs.
    expect(learningRateAt(s, 0.5)).toBeCloseTo(0.03, 12);
  });

  it('rejects bad schedules, naming the field', () => {
    expect(() => validateLrSpec({ kind: 'step', lr: 0.1, milestones: [5, 3], gamma: 0.1 })).toThrow(
      /optimizer\.lr\.milestones\[1\]/,
    );
    expect(() => validateLrSpec({ kind: 'cosine', lr: 0.1, epochs: 0 })).toThrow(
      /optimizer\.lr\.epochs/,
    );
    expect(() =>
      validateLrSpec({ kind: 'warmup', epochs: 2, after: { kind: 'constant', lr: Number.NaN } }),
    ).toThrow(/optimizer\.lr\.after\.lr/);
  });
});
