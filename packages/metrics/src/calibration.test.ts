import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../test/helpers.js';
import { expectedCalibrationError } from './calibration.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Confidences away from bin edges (5 bins of width 0.2):
//  z=[0, ln 7/3]  → p=0.7,  predicts 1, y=1 correct   (bin 3)
//  z=[ln 9, 0]    → p=0.9,  predicts 0, y=1 wrong     (bin 4)
//  z=[0, ln 11/9] → p=0.55, predicts 1, y=1 correct   (bin 2)
//  z=[ln 7/3, 0]  → p=0.7,  predicts 0, y=1 wrong     (bin 3)
// gaps: bin 3 |1 − 1.4| = 0.4 over 2, bin 4 0.9, bin 2 0.45 → ECE = 1.75/4, MCE = 0.9.
const batches = [
  {
    logits: [
      [0, Math.log(7 / 3)],
      [Math.log(9), 0],
    ],
    y: [1, 1],
  },
  {
    logits: [
      [0, Math.log(11 / 9)],
      [Math.log(7 / 3), 0],
    ],
    y: [1, 1],
  },
];

describe('expectedCalibrationError', () => {
  it('matches the hand-computed ECE and MCE', async () => {
    const r = await run(expectedCalibrationError({ numClasses: 2, bins: 5 }), batches);
    expect(r['ece']).toBeCloseTo(1.75 / 4, 6);
    expect(r['mce']).toBeCloseTo(0.9, 6);
  });

  it('is 0 for a perfectly calibrated set and omits everything with no examples', async () => {
    // Confidence 1 − e^-40 with both predictions right: the only bin's gap is ~0.
    const sure = await run(expectedCalibrationError({ numClasses: 2 }), [
      {
        logits: [
          [40, 0],
          [0, 40],
        ],
        y: [0, 1],
      },
    ]);
    expect(sure['ece']).toBeCloseTo(0, 6);
    expect(await run(expectedCalibrationError({ numClasses: 2 }), [])).toEqual({});
  });

  it('rejects a non-integer bin count', () => {
    expect(() => expectedCalibrationError({ numClasses: 2, bins: 0.5 })).toThrow(/field bins/);
  });
});
