// Shared by the tests: the pure-JS cpu backend (deterministic, no native parts) and tfjs's
// gradients (registered the way the conformance kit does it).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll } from 'vitest';
import { ensureGradients } from '../src/testing/gradients.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
});
