import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectiveLog } from './objective-log.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ObjectiveLog', () => {
  it('names the global step of the first non-finite objective across chunks and checks', async () => {
    const before = tf.memory().numTensors;
    const log = new ObjectiveLog(100);
    for (let i = 0; i < 300; i++) log.push(tf.scalar(i));
    expect(await log.firstNonFinite()).toBe(-1);
    // The next check starts at step 400; step 400 + 270 is the first NaN, 400 + 280 is Infinity.
    for (let i = 0; i < 300; i++) {
      log.push(tf.scalar(i === 270 ? Number.NaN : i === 280 ? Number.POSITIVE_INFINITY : i));
    }
    expect(await log.firstNonFinite()).toBe(670);
    expect(await log.firstNonFinite()).toBe(-1);
    log.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
