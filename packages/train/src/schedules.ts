// Learning-rate schedules as plain data, so an experiment spec can name one and a checkpoint
// needs no schedule state: the rate is a pure function of the (possibly fractional) epoch.
import { SpecError } from '@iwlab/core';

export type LrSchedule =
  | { readonly kind: 'constant'; readonly lr: number }
  /** Multiply by `gamma` at each milestone epoch (PyTorch MultiStepLR; LDAM-DRW: 160 and 180). */
  | {
      readonly kind: 'step';
      readonly lr: number;
      readonly milestones: readonly number[];
      readonly gamma: number;
    }
  /** Half a cosine from `lr` at epoch 0 down to `minLr` at epoch `epochs`. */
  | {
      readonly kind: 'cosine';
      readonly lr: number;
      readonly epochs: number;
      readonly minLr?: number;
    }
  /**
   * Linear warm-up over `epochs` epochs, then `after`. Epoch e < epochs gets
   * after(e) · (e + 1) / epochs, so the first epoch already moves (LDAM-DRW's 5-epoch warm-up).
   */
  | { readonly kind: 'warmup'; readonly epochs: number; readonly after: LrSchedule };

/** A fixed rate, a schedule, or any function of the epoch (fractional when updated per step). */
export type LrSpec = number | LrSchedule | ((epoch: number) => number);

function positive(value: number, field: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new SpecError(`must be a finite number >= 0, got ${value}`, { field });
  }
}

/** Checks a schedule once, up front, so a bad spec fails before any training. */
export function validateLrSpec(spec: LrSpec, field = 'optimizer.lr'): void {
  if (typeof spec === 'function') return;
  if (typeof spec === 'number') {
    positive(spec, field);
    return;
  }
  switch (spec.kind) {
    case 'constant':
      positive(spec.lr, `${field}.lr`);
      return;
    case 'step': {
      positive(spec.lr, `${field}.lr`);
      positive(spec.gamma, `${field}.gamma`);
      let previous = -1;
      spec.milestones.forEach((m, i) => {
        if (!Number.isInteger(m) || m <= previous) {
          throw new SpecError(`milestones must be increasing integers >= 0, got ${m}`, {
            field: `${field}.milestones[${i}]`,
          });
        }
        previous = m;
      });
      return;
    }
    case 'cosine':
      positive(spec.lr, `${field}.lr`);
      if (!(spec.epochs > 0)) {
        throw new SpecError(`must be > 0, got ${spec.epochs}`, { field: `${field}.epochs` });
      }
      if (spec.minLr !== undefined) positive(spec.minLr, `${field}.minLr`);
      return;
    case 'warmup':
      if (!Number.isInteger(spec.epochs) || spec.epochs < 1) {
        throw new SpecError(`must be an integer >= 1, got ${spec.epochs}`, {
          field: `${field}.epochs`,
        });
      }
      validateLrSpec(spec.after, `${field}.after`);
      return;
    default:
      throw new SpecError(
        `unknown schedule kind "${String((spec as { kind: unknown }).kind)}"; use constant, step, cosine or warmup`,
        { field: `${field}.kind` },
      );
  }
}

/** The learning rate at `epoch` (0-based; a fraction when the rate is updated every step). */
export function learningRateAt(spec: LrSpec, epoch: number): number {
  if (typeof spec === 'number') return spec;
  if (typeof spec === 'function') return spec(epoch);
  switch (spec.kind) {
    case 'constant':
      return spec.lr;
    case 'step': {
      let lr = spec.lr;
      for (const m of spec.milestones) if (epoch >= m) lr *= spec.gamma;
      return lr;
    }
    case 'cosine': {
      const minLr = spec.minLr ?? 0;
      const t = Math.min(epoch, spec.epochs) / spec.epochs;
      return minLr + ((spec.lr - minLr) * (1 + Math.cos(Math.PI * t))) / 2;
    }
    case 'warmup': {
      const after = learningRateAt(spec.after, epoch);
      if (epoch >= spec.epochs) return after;
      // One formula for whole and fractional epochs, so per-step updates ramp continuously.
      return (after * Math.min(epoch + 1, spec.epochs)) / spec.epochs;
    }
  }
}
