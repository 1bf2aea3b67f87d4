// State outside a model's weights that an exact resume needs: what a loss or model exposes
// through CheckpointableState, or the two kinds iwlab's own packages have (a zoo model's dropout
// clock, Group DRO's q), saved as JSON.
import { SpecError } from '@iwlab/core';
import type { CheckpointableState } from '../types.js';

function isCheckpointable(value: unknown): value is CheckpointableState {
  const v = value as Partial<CheckpointableState>;
  return typeof v.checkpointState === 'function' && typeof v.restoreState === 'function';
}

interface WithGroupWeights {
  groupWeights(): Promise<number[]>;
  setGroupWeights(q: readonly number[]): void;
}
interface WithDropoutClock {
  dropoutStep: number;
}

/** State outside the model's weights that an exact resume needs, as JSON (undefined: none). */
export async function extraStateOf(part: unknown): Promise<unknown> {
  if (isCheckpointable(part)) return await part.checkpointState();
  const loss = part as Partial<WithGroupWeights>;
  if (typeof loss.groupWeights === 'function' && typeof loss.setGroupWeights === 'function') {
    return { groupWeights: await loss.groupWeights() };
  }
  const model = part as Partial<WithDropoutClock>;
  if (typeof model.dropoutStep === 'number') return { dropoutStep: model.dropoutStep };
  return undefined;
}

export function restoreExtraState(
  part: unknown,
  state: unknown,
  field: string,
  file: string,
): void {
  if (state === undefined) return;
  if (isCheckpointable(part)) {
    part.restoreState(state);
    return;
  }
  const saved = state as { groupWeights?: number[]; dropoutStep?: number };
  if (
    saved.groupWeights !== undefined &&
    typeof (part as WithGroupWeights).setGroupWeights === 'function'
  ) {
    (part as WithGroupWeights).setGroupWeights(saved.groupWeights);
    return;
  }
  if (
    saved.dropoutStep !== undefined &&
    typeof (part as WithDropoutClock).dropoutStep === 'number'
  ) {
    (part as WithDropoutClock).dropoutStep = saved.dropoutStep;
    return;
  }
  throw new SpecError(
    'the checkpoint holds state this run cannot restore (the loss or model differs from the one that wrote it)',
    { file, field },
  );
}
