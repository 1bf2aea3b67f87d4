import { SpecError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { modelKinds, parseModelSpec } from './index.js';

const base = { inputShape: [32, 32, 3], numClasses: 2, seed: 1 };

describe('parseModelSpec', () => {
  it('fills in every default, so a stored spec names every switch', () => {
    expect(parseModelSpec({ kind: 'bl-cnn', ...base })).toEqual({
      kind: 'bl-cnn',
      ...base,
      l2: 0,
      batchNorm: false,
      dropout: 0,
      init: 'glorot-uniform',
      dropoutAt: ['dense'],
    });
    const resnet = parseModelSpec({ kind: 'resnet20', ...base });
    expect(resnet).toMatchObject({ batchNorm: true, init: 'he-normal', shortcut: 'pad' });
    expect(parseModelSpec({ kind: 'resnet18', ...base })).toMatchObject({ shortcut: 'projection' });
    expect(parseModelSpec({ kind: 'mlp', inputShape: [2], numClasses: 2, seed: 0 })).toMatchObject({
      hidden: [64],
      activation: 'relu',
      dropoutAt: ['hidden'],
    });
  });

  it.each([
    [
      { kind: 'cnn9', ...base },
      'model.kind',
      /unknown model kind "cnn9"; known kinds: logreg, mlp/,
    ],
    [{ kind: 'bl-cnn', ...base, dropout: 1 }, 'model.dropout', /1/],
    [{ kind: 'bl-cnn', ...base, l2: -0.1 }, 'model.l2', /0/],
    [{ kind: 'bl-cnn', ...base, seed: 0.5 }, 'model.seed', /int/i],
    [{ kind: 'bl-cnn', ...base, numClasses: 1 }, 'model.numClasses', /2/],
    [{ kind: 'bl-cnn', ...base, weightDecay: 1e-4 }, 'model', /weightDecay.*optimizer/],
    [{ kind: 'mlp', ...base, hidden: [64, 0] }, 'model.hidden[1]', /0/],
    [{ kind: 'bl-cnn', ...base, dropoutAt: ['head'] }, 'model.dropoutAt[0]', /conv|dense/],
    [
      { kind: 'bl-cnn', ...base, inputShape: [3072] },
      'model.inputShape',
      /\[height, width, channels\]/,
    ],
    [{ kind: 'text', inputShape: [20], numClasses: 2, seed: 1 }, 'model.vocabSize', /number/],
    [
      { kind: 'logreg', inputShape: [2], numClasses: 2, seed: 1, dropout: 0.5 },
      'model.dropout',
      /no hidden layer/,
    ],
  ])('rejects %j naming the field %s', (spec, field, message) => {
    let error: unknown;
    try {
      parseModelSpec(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).where.field).toBe(field);
    expect((error as SpecError).message).toMatch(message);
  });

  it('uses the caller’s field prefix', () => {
    expect(() =>
      parseModelSpec(
        { kind: 'mlp', inputShape: [2], numClasses: 2, seed: 1, dropout: 2 },
        { fieldPrefix: 'runs[3].model' },
      ),
    ).toThrow(/field runs\[3\]\.model\.dropout/);
  });

  it('lists every kind of the zoo', () => {
    expect(modelKinds().map((k) => k.kind)).toEqual([
      'logreg',
      'mlp',
      'bl-cnn',
      'small-cnn',
      'resnet20',
      'resnet32',
      'resnet18',
      'resnet-hjw',
      'text',
    ]);
  });
});
