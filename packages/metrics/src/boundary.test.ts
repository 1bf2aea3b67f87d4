import '@tensorflow/tfjs-backend-cpu';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { boundaryAngle, decisionBoundaryGrid, linearBoundaryNormal } from './boundary.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const sigmoid = (s: number) => 1 / (1 + Math.exp(-s));

describe('decisionBoundaryGrid', () => {
  // One sigmoid logit s = x0 − 2·x1.
  const model = (x: tf.Tensor) => tf.matMul(x as tf.Tensor2D, tf.tensor2d([[1], [-2]]));

  it('evaluates the model on an evenly spaced grid, row-major by y', async () => {
    const grid = await decisionBoundaryGrid(model, { x: [-1, 1], y: [0, 1], resolution: [3, 2] });
    expect(grid.xs).toEqual([-1, 0, 1]);
    expect(grid.ys).toEqual([0, 1]);
    expect(grid.numClasses).toBe(2);
    expect(grid.probabilities.length).toBe(3 * 2 * 2);
    grid.ys.forEach((yv, j) => {
      grid.xs.forEach((xv, i) => {
        const at = (j * 3 + i) * 2;
        expect(grid.probabilities[at + 1]).toBeCloseTo(sigmoid(xv - 2 * yv), 6);
        expect(grid.probabilities[at]).toBeCloseTo(1 - sigmoid(xv - 2 * yv), 6);
      });
    });
  });

  it('gives the same grid whatever the chunk size, and frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const whole = await decisionBoundaryGrid(model, { x: [-2, 2], y: [-2, 2], resolution: 7 });
    const chunked = await decisionBoundaryGrid(model, {
      x: [-2, 2],
      y: [-2, 2],
      resolution: 7,
      batchSize: 5,
    });
    expect(chunked.probabilities).toEqual(whole.probabilities);
    // The model's constant kernel is created per call inside tidy and freed with it.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects empty ranges and too-small resolutions, naming the field', async () => {
    await expect(
      decisionBoundaryGrid(model, { x: [1, 1], y: [0, 1], resolution: 3 }),
    ).rejects.toThrow(/field x/);
    await expect(
      decisionBoundaryGrid(model, { x: [0, 1], y: [0, 1], resolution: [3, 1] }),
    ).rejects.toThrow(/resolution\[1\]/);
  });
});

describe('linearBoundaryNormal', () => {
  it('is the kernel column for one logit and W[:,1] − W[:,0] for two', async () => {
    expect(await linearBoundaryNormal(tf.tensor2d([[1], [-2]]))).toEqual([1, -2]);
    expect(
      await linearBoundaryNormal(
        tf.tensor2d([
          [1, 3],
          [2, -1],
        ]),
      ),
    ).toEqual([2, -3]);
    await expect(linearBoundaryNormal(tf.zeros([2, 3]) as tf.Tensor2D)).rejects.toThrow(SpecError);
  });
});

describe('boundaryAngle', () => {
  it('measures oriented and unoriented angles in degrees', () => {
    expect(boundaryAngle([1, 0], [0, 2])).toBeCloseTo(90, 10);
    expect(boundaryAngle([1, 1], [2, 2])).toBeCloseTo(0, 6);
    expect(boundaryAngle([1, 1], [-1, -1])).toBeCloseTo(180, 6);
    expect(boundaryAngle([1, 1], [-1, -1], { oriented: false })).toBeCloseTo(0, 6);
    expect(boundaryAngle([1, 0], [1, Math.sqrt(3)])).toBeCloseTo(60, 10);
  });

  it('is null for a zero normal and rejects mismatched lengths', () => {
    expect(boundaryAngle([0, 0], [1, 0])).toBeNull();
    expect(() => boundaryAngle([1], [1, 0])).toThrow(SpecError);
  });
});
