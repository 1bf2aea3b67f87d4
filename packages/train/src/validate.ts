import { REDUCTIONS, SpecError } from '@iwlab/core';
import { validateGradientClip } from './clip.js';
import { validateEarlyStopping } from './early-stopping.js';
import { validateOptimizerSpec } from './optimizers.js';
import type { TrainOptions } from './types.js';
import { validateWeightPhases } from './weighting.js';

function positiveInteger(value: number | undefined, field: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw new SpecError(`must be an integer >= 1, got ${value}`, { field });
  }
}

/** Every option checked before the first step, so a bad run fails in milliseconds, not hours. */
export function validateTrainOptions(options: TrainOptions): void {
  positiveInteger(options.epochs, 'epochs');
  if (options.epochs === undefined) throw new SpecError('is required', { field: 'epochs' });
  if (!REDUCTIONS.includes(options.reduction)) {
    throw new SpecError(
      `must be one of ${REDUCTIONS.join(', ')}, got ${String(options.reduction)}; the reduction is never defaulted`,
      { field: 'reduction' },
    );
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw new SpecError(`must be a safe integer, got ${options.seed}`, { field: 'seed' });
  }
  if (options.model.trainableVariables.length === 0) {
    throw new SpecError('the model has no trainable variables', { field: 'model' });
  }
  validateOptimizerSpec(options.optimizer);
  if (options.gradientClip) validateGradientClip(options.gradientClip);
  positiveInteger(options.checkNonFiniteEvery, 'checkNonFiniteEvery');
  if (options.lrUpdate !== undefined && !['epoch', 'step'].includes(options.lrUpdate)) {
    throw new SpecError(`must be "epoch" or "step", got ${String(options.lrUpdate)}`, {
      field: 'lrUpdate',
    });
  }
  const numClasses = options.model.spec.numClasses;
  if (options.classCounts && options.classCounts.length !== numClasses) {
    throw new SpecError(
      `has ${options.classCounts.length} entries but the model has ${numClasses} classes`,
      { field: 'classCounts' },
    );
  }
  if (options.weighting) validateWeightPhases(options.weighting, numClasses);
  const setNames = options.evaluate?.sets.map((s) => s.name) ?? [];
  setNames.forEach((name, i) => {
    if (!name || setNames.indexOf(name) !== i) {
      throw new SpecError(`evaluation set names must be non-empty and unique, got "${name}"`, {
        field: `evaluate.sets[${i}].name`,
      });
    }
  });
  positiveInteger(options.evaluate?.every, 'evaluate.every');
  if (options.earlyStopping) validateEarlyStopping(options.earlyStopping, setNames);
  if (options.checkpoint) {
    positiveInteger(options.checkpoint.every, 'checkpoint.every');
    if (!options.checkpoint.dir) {
      throw new SpecError('must name a directory', { field: 'checkpoint.dir' });
    }
  }
  if (options.resume && !options.checkpoint) {
    throw new SpecError('resume needs checkpoint.dir to resume from', { field: 'resume' });
  }
}
