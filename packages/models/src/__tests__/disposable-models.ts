// Models built in a test are disposed after it, whatever the test's outcome.
import { afterEach } from 'vitest';
import { createModel, type ZooModel, type ZooSpec } from '../index.js';

export interface DisposedAfterEach {
  /** createModel, with the model disposed after the current test. */
  (spec: ZooSpec): ZooModel;
  /** Disposes a model built some other way (e.g. loadModel) after the current test. */
  keep(model: ZooModel): ZooModel;
}

/** Returns `createModel` for this test file; every model it builds is disposed after each test. */
export function disposedAfterEach(): DisposedAfterEach {
  const built: ZooModel[] = [];
  afterEach(() => {
    for (const m of built.splice(0)) m.dispose();
  });
  const keep = (model: ZooModel) => {
    built.push(model);
    return model;
  };
  return Object.assign((spec: ZooSpec) => keep(createModel(spec)), { keep });
}
