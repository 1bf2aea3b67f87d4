import { SpecError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { tinySpec } from './__tests__/specs.js';
import { canonicalJson, resolveSpec, runId } from './spec.js';

function fieldOf(input: unknown): string | undefined {
  try {
    resolveSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return (error as SpecError).where.field;
  }
  return undefined;
}

describe('resolveSpec', () => {
  it('fills in every default, including the model defaults of @iwlab/models', () => {
    const spec = resolveSpec(tinySpec());
    expect(spec.shift).toEqual({ kind: 'none' });
    expect(spec.loss).toEqual({ name: 'ce', params: {} });
    expect(spec.model).toMatchObject({
      kind: 'logreg',
      l2: 0,
      dropout: 0,
      batchNorm: false,
      init: 'glorot-uniform',
    });
    expect(spec.evaluation).toEqual({ every: 1, boundaryEpochs: [], boundaryResolution: 41 });
    expect(spec.optimizer).toMatchObject({ kind: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0 });
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('names the offending field', () => {
    expect(fieldOf({ ...tinySpec(), epochs: 0 })).toBe('epochs');
    expect(fieldOf({ ...tinySpec(), optimizer: { kind: 'sgd', lr: 0.1, momentum: 1.5 } })).toBe(
      'optimizer.momentum',
    );
    expect(fieldOf({ ...tinySpec(), model: { kind: 'mlp', dropout: 1 } })).toBe('model.dropout');
    expect(fieldOf({ ...tinySpec(), model: { kind: 'nope' } })).toBe('model.kind');
    expect(fieldOf({ ...tinySpec(), loss: { name: 'nope' } })).toBe('loss.name');
    expect(fieldOf({ ...tinySpec(), weights: { kind: 'ratio', ratio: -1 } })).toBe('weights.ratio');
    expect(fieldOf({ ...tinySpec(), data: { kind: 'synthetic', generator: 'spiral' } })).toBe(
      'data.generator',
    );
    expect(fieldOf({ ...tinySpec(), extra: 1 })).toBe('spec');
    expect(fieldOf({ ...tinySpec(), evaluation: { boundaryEpochs: [9] } })).toBe(
      'evaluation.boundaryEpochs[0]',
    );
    const { reduction: _r, ...noReduction } = tinySpec();
    expect(fieldOf(noReduction)).toBe('reduction');
  });

  it('rejects model fields the run fills in itself', () => {
    expect(fieldOf({ ...tinySpec(), model: { kind: 'logreg', seed: 3 } })).toBe('model');
  });
});

describe('runId', () => {
  it('is the same for specs that resolve alike, whatever the key order or omitted defaults', () => {
    const a = resolveSpec(tinySpec());
    const b = resolveSpec({ ...tinySpec(), shift: { kind: 'none' }, loss: { name: 'ce' } });
    const reordered = JSON.parse(canonicalJson(a)) as unknown;
    expect(runId(a)).toBe(runId(b));
    expect(runId(resolveSpec(reordered))).toBe(runId(a));
    expect(runId(a)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes with anything that changes the run', () => {
    const a = runId(resolveSpec(tinySpec()));
    expect(runId(resolveSpec(tinySpec({ seed: 2 })))).not.toBe(a);
    expect(runId(resolveSpec(tinySpec({ weights: { kind: 'ratio', ratio: 1 / 4 } })))).not.toBe(a);
    expect(runId(resolveSpec(tinySpec({ model: { kind: 'logreg', l2: 0.1 } })))).not.toBe(a);
    const margins = tinySpec({ evaluation: { margins: true } });
    expect(runId(resolveSpec(margins))).not.toBe(a);
  });

  it('stays what it was for specs written before optional settings were added', () => {
    // Stored runs are found by this id: a schema change that gave every spec a new default
    // would make every stored run look unfinished. (Pinned from the store format of session 7.)
    expect(runId(resolveSpec(tinySpec()))).toBe('c57465ed9c259333');
    expect(canonicalJson(resolveSpec(tinySpec()))).not.toContain('margins');
    expect(runId(resolveSpec(tinySpec({ evaluation: { margins: false } })))).toBe(
      'c57465ed9c259333',
    );
  });
});
