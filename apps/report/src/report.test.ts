import { RunStore, resolveSpec, runId } from '@iwlab/experiments';
import { describe, expect, it } from 'vitest';
import { buildReport } from './report.js';

// A store filled by hand: one 2-D logreg cell, weights 1:4, 1:1, 4:1, 10 epochs whose fraction
// predicted positive fans out and collapses; boundary snapshots after epochs 1 and 10.
function filledStore(epochs = 10, store = new RunStore(':memory:')): RunStore {
  for (const ratio of [0.25, 1, 4]) {
    const spec = resolveSpec({
      data: { kind: 'synthetic', generator: 'separable-gaussians' },
      weights: { kind: 'ratio', ratio },
      model: { kind: 'logreg' },
      reduction: 'mean',
      optimizer: { kind: 'sgd', lr: 0.1 },
      epochs,
      batchSize: 8,
      seed: 0,
      evaluation: { boundaryEpochs: [1, 10] },
    });
    const id = runId(spec);
    store.beginRun(id, spec);
    const sign = Math.sign(Math.log(ratio));
    for (let e = 0; e < 10; e++) {
      store.recordEpoch(id, e, 'train', { loss: 1 / (e + 1), accuracy: 0.9 });
      store.recordEpoch(id, e, 'test', {
        'fractionPredicted.positive': 0.5 + sign * 0.2 * (1 - e / 9),
        accuracy: 0.8,
      });
    }
    store.recordArtifact(id, -1, 'points', { x: [0, 0, 1, 1], y: [0, 1] });
    for (const e of [0, 9]) {
      store.recordArtifact(id, e, 'boundary', { xs: [0, 1], ys: [0, 1], p1: [0.2, 0.8, 0.2, 0.8] });
    }
    store.finishRun(id, 'done', { seconds: 1 });
  }
  return store;
}

describe('buildReport', () => {
  it('writes one self-contained page with the claims table, the curves and the boundaries', async () => {
    const store = filledStore();
    const report = await buildReport(store, {
      notes: ['shortened <on purpose>'],
      generatedAt: new Date(0),
    });
    store.close();
    const { html, claims } = report;
    expect(claims.find((c) => c.id === 'early-effect')?.verdict).toBe('reproduced');
    expect(claims.find((c) => c.id === 'effect-fades')?.verdict).toBe('reproduced');
    expect(claims.find((c) => c.id === 'l2-keeps')?.verdict).toBe('inconclusive');
    expect(html).toContain('<table id="claims"');
    expect(html).toContain('E = 0.400 (epoch 1), S_end = 0.000');
    expect(html).toContain('shortened &lt;on purpose&gt;');
    expect(html).toContain('Decision boundaries');
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect(html).not.toMatch(/<script|<link|<img/);
  });

  it('reports only the given runs, so an earlier plan with other settings cannot sway the claims', async () => {
    const store = filledStore();
    const planned = store.listRuns().map((run) => run.id);
    // The same runs with another epoch count (an earlier plan): a second cell.
    filledStore(20, store);
    const all = await buildReport(store);
    const only = await buildReport(store, { runIds: planned });
    store.close();
    expect(all.effects).toHaveLength(2);
    expect(only.effects).toHaveLength(1);
    expect(only.claims.find((c) => c.id === 'effect-fades')?.verdict).toBe('reproduced');
    expect(only.html.match(/<tr><td><code>/g)?.length).toBe(3);
    expect(all.html.match(/<tr><td><code>/g)?.length).toBe(6);
  });
});
