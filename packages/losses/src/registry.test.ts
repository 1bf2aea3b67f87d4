import '../test/setup-backend.js';
import { SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BUILTIN_LOSSES } from './catalogue.js';
import { defineLoss } from './define.js';
import { createLoss, getLossDefinition, listLosses, registerLoss } from './registry.js';

function specError(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

describe('registry', () => {
  it('lists every built-in loss the issue asks for, each with a one-line description and defaults', () => {
    const names = listLosses().map((l) => l.name);
    for (const name of [
      'ce',
      'bce',
      'hinge',
      'multiclass-hinge',
      'squared',
      'exponential',
      'poly',
      'ldam',
      'logit-adjusted',
      'vs',
      'focal',
      'sigmoid-focal',
      'balanced-softmax',
      'group-dro',
    ]) {
      expect(names).toContain(name);
    }
    for (const loss of listLosses()) {
      expect(loss.description).toMatch(/^[^\n]{10,120}$/);
    }
    expect(listLosses().find((l) => l.name === 'poly')?.defaults).toEqual({
      alpha: 1,
      type: 'logit',
    });
    expect(listLosses().find((l) => l.name === 'vs')?.defaults).toEqual({ gamma: 0.3, tau: 1 });
    expect(new Set(BUILTIN_LOSSES.map((d) => d.name)).size).toBe(BUILTIN_LOSSES.length);
  });

  it('creates a loss with defaults filled in', async () => {
    const loss = createLoss('poly', {}, { numClasses: 2 });
    const out = loss.perExample(tf.tensor2d([[2], [10]]), tf.tensor1d([1, 1], 'int32'), {
      numClasses: 2,
      epoch: 0,
      step: 0,
    });
    expect(Array.from(await out.data())).toEqual([0.5, expect.closeTo(0.1, 6)]);
  });

  it('names the wrong parameter, says why, and shows what it got', () => {
    const e = specError(() => createLoss('poly', { alpha: -2 }, { numClasses: 2 }));
    expect(e.where.field).toBe('params.alpha');
    expect(e.message).toMatch(/loss "poly"/);
    expect(e.message).toMatch(/>0/);
    expect(e.message).toMatch(/got -2/);

    const typo = specError(() =>
      createLoss('vs' as string, { gama: 0.2 }, { numClasses: 2, classCounts: [2, 1] }),
    );
    expect(typo.where.field).toBe('params.gama');
    expect(typo.message).toMatch(/unknown parameter "gama"; "vs" takes gamma, tau/);

    const type = specError(() =>
      createLoss('focal' as string, { gamma: 'two' }, { numClasses: 2 }),
    );
    expect(type.where.field).toBe('params.gamma');
    expect(type.message).toMatch(/got "two"/);
  });

  it('rejects unknown names with the list of known ones, and bad contexts by field', () => {
    const e = specError(() => createLoss('polly', {}, { numClasses: 2 }));
    expect(e.where.field).toBe('loss');
    expect(e.message).toMatch(/unknown loss "polly"; known losses: .*poly/);
    expect(specError(() => createLoss('ldam', {}, { numClasses: 2 })).where.field).toBe(
      'context.classCounts',
    );
    expect(
      specError(() => createLoss('ldam', {}, { numClasses: 3, classCounts: [1, 2] })).message,
    ).toMatch(/classCounts has 2 entries but numClasses is 3/);
    expect(
      specError(() => createLoss('vs', {}, { numClasses: 2, classCounts: [5, -1] })).where.field,
    ).toBe('context.classCounts[1]');
    expect(specError(() => createLoss('ce', {}, { numClasses: 0 })).where.field).toBe(
      'context.numClasses',
    );
  });

  it('registers a contributed loss once, under a valid name', () => {
    const mine = defineLoss({
      name: 'registry-test-loss',
      description: 'A test loss.',
      params: z.strictObject({ k: z.number().default(2) }),
      properties: {
        logits: 'multiclass',
        nonNegative: true,
        shiftInvariant: false,
        monotone: false,
      },
      create: ({ k }) => ({
        name: 'registry-test-loss',
        perExample: (l) => tf.tidy(() => tf.mul(tf.sum(l, 1), k) as tf.Tensor1D),
      }),
    });
    registerLoss(mine);
    expect(getLossDefinition('registry-test-loss')).toBe(mine);
    expect(() => registerLoss(mine)).toThrow(/already registered/);
    expect(() => registerLoss({ ...mine, name: 'Bad Name' })).toThrow(/lower-case/);
  });
});
