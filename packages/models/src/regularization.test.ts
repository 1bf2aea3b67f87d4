import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposedAfterEach } from './__tests__/disposable-models.js';
import type { ZooModel, ZooSpec } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
const make = disposedAfterEach();

function sumSquares(t: tf.Tensor): number {
  return Array.from(t.dataSync()).reduce((s, v) => s + v * v, 0);
}

describe('L2 penalty', () => {
  it('is null when l2 is 0 (the default)', () => {
    expect(
      make({ kind: 'mlp', inputShape: [2], numClasses: 2, seed: 1 }).regularizationLoss(),
    ).toBeNull();
  });

  it('is λ·Σ‖W‖² over dense and conv kernels, leaving out biases and batch-norm parameters', () => {
    const lambda = 0.01;
    const m = make({
      kind: 'small-cnn',
      inputShape: [8, 8, 1],
      numClasses: 2,
      seed: 4,
      l2: lambda,
      batchNorm: true,
      init: 'torch-default',
    });
    const names = m.weightNames;
    const weights = m.getWeights();
    // Make every BN parameter non-zero so that including one by mistake would show.
    const shifted = weights.map((w, i) => (names[i]?.includes('_bn/') ? tf.add(w, 1) : w.clone()));
    m.setWeights(shifted);
    const expected =
      lambda *
      weights.reduce((s, w, i) => (names[i]?.endsWith('/kernel') ? s + sumSquares(w) : s), 0);
    const penalty = m.regularizationLoss();
    expect(penalty).not.toBeNull();
    expect(penalty?.dataSync()[0]).toBeCloseTo(expected, 3);
    expect(m.regularizedVariables).toHaveLength(names.filter((n) => n.endsWith('/kernel')).length);
    tf.dispose([...weights, ...shifted, penalty as tf.Scalar]);
  });

  it('has gradient 2λW with respect to each kernel and none for biases', () => {
    const m = make({ kind: 'mlp', inputShape: [3], numClasses: 2, seed: 2, hidden: [4], l2: 0.1 });
    const { grads } = tf.variableGrads(
      () => m.regularizationLoss() as tf.Scalar,
      [...m.trainableVariables],
    );
    for (const v of m.trainableVariables) {
      const g = grads[v.name];
      if (v.name.includes('kernel')) {
        const expected = Array.from(v.dataSync()).map((x) => 0.2 * x);
        Array.from(g?.dataSync() ?? []).forEach((gv, i) => {
          expect(gv).toBeCloseTo(expected[i] as number, 6);
        });
      } else {
        // variableGrads reports an unused variable with a zero gradient.
        expect(Array.from(g?.dataSync() ?? [0]).every((x) => x === 0)).toBe(true);
      }
    }
    tf.dispose(grads);
  });

  it('states in the summary that optimizer weight decay is a different, non-model setting', () => {
    const s = make({ kind: 'mlp', inputShape: [2], numClasses: 2, seed: 1, l2: 1e-3 }).summary();
    expect(s.regularization.l2Penalty).toBe(1e-3);
    expect(s.regularization.weightDecay).toMatch(/optimizer/);
  });
});

describe('dropout', () => {
  const spec = {
    kind: 'mlp',
    inputShape: [200],
    numClasses: 2,
    seed: 9,
    hidden: [400],
    dropout: 0.5,
    dropoutAt: ['input'],
  } as const;

  function firstLayerInput(m: ZooModel, training: boolean): Float32Array {
    // Read what dense1 sees: the dropped-out input.
    const layer = m.network.getLayer('input_dropout');
    const x = tf.ones([4, 200]);
    const y = layer.apply(x, { training }) as tf.Tensor;
    const v = y.dataSync() as Float32Array;
    tf.dispose([x, y]);
    return v;
  }

  it('drops about `rate` of the units and rescales the rest by 1/(1-rate), only in training', () => {
    const m = make(spec);
    const v = firstLayerInput(m, true);
    const kept = v.filter((x) => x !== 0);
    expect(kept.every((x) => Math.abs(x - 2) < 1e-6)).toBe(true);
    expect(kept.length / v.length).toBeGreaterThan(0.4);
    expect(kept.length / v.length).toBeLessThan(0.6);
    expect(firstLayerInput(m, false).every((x) => x === 1)).toBe(true);
  });

  it('draws a new mask every training step, the same masks for the same seed and step', () => {
    const a = make(spec);
    const b = make(spec);
    const x = tf.ones([2, 200]);
    const a1 = a.apply(x, true).dataSync();
    const a2 = a.apply(x, true).dataSync();
    const b1 = b.apply(x, true).dataSync();
    expect(Array.from(a2)).not.toEqual(Array.from(a1));
    expect(Array.from(b1)).toEqual(Array.from(a1));
    expect(a.dropoutStep).toBe(2);
    b.dropoutStep = 1;
    expect(Array.from(b.apply(x, true).dataSync())).toEqual(Array.from(a2));
    // Inference neither drops nor advances the clock.
    const i1 = a.apply(x, false).dataSync();
    expect(Array.from(a.apply(x, false).dataSync())).toEqual(Array.from(i1));
    expect(a.dropoutStep).toBe(2);
    x.dispose();
  });

  it('rejects a negative or fractional dropout step', () => {
    const m = make(spec);
    expect(() => {
      m.dropoutStep = -1;
    }).toThrow(/dropoutStep/);
  });
});

describe('batch norm', () => {
  it('normalizes with batch statistics in training and updates the moving averages (momentum 0.1)', () => {
    const m = make({
      kind: 'mlp',
      inputShape: [1],
      numClasses: 2,
      seed: 1,
      hidden: [1],
      batchNorm: true,
    });
    // dense1 = x·1 (no bias with BN), so BN sees the batch [1, 5] itself: mean 3, variance 4.
    const names = m.weightNames;
    const ws = m.getWeights();
    m.setWeights(ws.map((w, i) => (names[i] === 'dense1/kernel' ? tf.ones([1, 1]) : w)));
    const out = m.apply(tf.tensor2d([[1], [5]]), true);
    out.dispose();
    const now = m.getWeights();
    const after = Object.fromEntries(m.weightNames.map((n, i) => [n, now[i]?.dataSync()[0]]));
    expect(after['dense1_bn/moving_mean']).toBeCloseTo(0.9 * 0 + 0.1 * 3, 6);
    // tfjs updates with the biased batch variance (4), where PyTorch would use the unbiased (8).
    expect(after['dense1_bn/moving_variance']).toBeCloseTo(0.9 * 1 + 0.1 * 4, 6);
    tf.dispose([...ws, ...now]);
  });
});

describe('deterministic initialization', () => {
  const specs: ZooSpec[] = [
    { kind: 'mlp', inputShape: [2], numClasses: 2, seed: 5, hidden: [8] },
    { kind: 'small-cnn', inputShape: [8, 8, 3], numClasses: 2, seed: 5, batchNorm: true },
    { kind: 'resnet20', inputShape: [8, 8, 3], numClasses: 2, seed: 5, shortcut: 'projection' },
    { kind: 'text', inputShape: [6], numClasses: 2, seed: 5, vocabSize: 30, embeddingDim: 4 },
  ];
  const values = (m: ZooModel) => {
    const ws = m.getWeights();
    const v = ws.map((w) => Array.from(w.dataSync()));
    tf.dispose(ws);
    return v;
  };

  it.each(specs.map((s) => [s.kind, s] as const))(
    '%s: same seed, same weights; other seed, other weights',
    (_k, spec) => {
      const a = values(make(spec));
      expect(values(make(spec))).toEqual(a);
      const other = values(make({ ...spec, seed: 6 }));
      const kernels = a.filter((_, i) => i === 0);
      expect(other.filter((_, i) => i === 0)).not.toEqual(kernels);
    },
  );

  it('does not shift the other layers’ initial weights when dropout is switched on', () => {
    const a = values(
      make({ kind: 'mlp', inputShape: [2], numClasses: 2, seed: 5, hidden: [8, 8] }),
    );
    expect(
      values(
        make({
          kind: 'mlp',
          inputShape: [2],
          numClasses: 2,
          seed: 5,
          hidden: [8, 8],
          dropout: 0.3,
        }),
      ),
    ).toEqual(a);
  });

  it("'torch-default' draws kernels and biases from U(±1/√fan_in)", () => {
    const m = make({
      kind: 'mlp',
      inputShape: [16],
      numClasses: 2,
      seed: 5,
      hidden: [256],
      init: 'torch-default',
    });
    const [kernel, bias] = m.getWeights() as [tf.Tensor, tf.Tensor];
    for (const t of [kernel, bias]) {
      const v = Array.from(t.dataSync());
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(0.25);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.2);
    }
    tf.dispose([kernel, bias]);
  });
});
