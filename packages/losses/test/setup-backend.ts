// Shared by the tests: the pure-JS cpu backend (deterministic, no native parts). Gradients are
// registered by the conformance kit, or by a test that needs them (loading them costs seconds).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll } from 'vitest';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
