// Shared by the tests: the pure-JS cpu backend (deterministic, no native parts) with gradients.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { beforeAll } from 'vitest';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
