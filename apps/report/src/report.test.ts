import { RunStore, runId } from '@iwlab/experiments';
import { describe, expect, it } from 'vitest';
import { logregSpec } from './__tests__/specs.js';
import { buildReport, describeUnfinished, runProgress } from './report.js';

// A store filled by hand: one 2-D logreg cell, weights 1:4, 1:1, 4:1, 10 epochs whose fraction
// predicted positive fans out and collapses; boundary snapshots after epochs 1 and 10.
function filledStore(epochs = 10, store = new RunStore(':memory:')): RunStore {
  for (const ratio of [0.25, 1, 4]) {
    const spec = logregSpec({
      weights: { kind: 'ratio', ratio },
      epochs,
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
    // The theory's prediction (b) needs two sizes of weight; 1:4 and 4:1 are one.
    expect(html).toContain('<table id="predictions"');
    expect(report.predictions[0]).toMatchObject({ verdict: 'inconclusive', evidence: [] });
    // Each weight is within 0.05 of 1:1 from evaluation 7 (0.2·(1 − 7/9) = 0.044): epoch 8.
    expect(html).toContain('<td>1:4 at 8, 4:1 at 8</td>');
    expect(html).toContain('<td>0.900</td><td>not recorded</td>');
    expect(html).toContain('E = 0.400 (epoch 1), S_end = 0.000');
    expect(html).toContain('shortened &lt;on purpose&gt;');
    expect(html).toContain('Decision boundaries');
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect(html).not.toMatch(/<script|<link|<img/);
  });

  it("shows a cell's smallest training margin in evaluation mode where its runs recorded one", async () => {
    const store = filledStore();
    // The three runs' last margins 0.5, 0.25 and 0.75: the cell shows the smallest.
    for (const [i, run] of store.listRuns().entries()) {
      for (let e = 0; e < 10; e++) {
        store.recordEpoch(run.id, e, 'train-margins', {
          minMargin: e < 9 ? -1 : ([0.5, 0.25, 0.75][i] ?? 0),
        });
      }
    }
    const { html } = await buildReport(store, { generatedAt: new Date(0) });
    store.close();
    expect(html).toContain('<td>0.900</td><td>0.250</td>');
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
    // Both cells are logreg · none: the report tells them apart by what differs.
    expect(all.effects.map((e) => e.cell.label).sort()).toEqual([
      '2-D separable-gaussians · logreg · none · epochs 10',
      '2-D separable-gaussians · logreg · none · epochs 20',
    ]);
    expect(all.html).toContain('logreg · none · epochs 20');
    expect(only.effects).toHaveLength(1);
    expect(only.claims.find((c) => c.id === 'effect-fades')?.verdict).toBe('reproduced');
    expect(only.html.match(/<tr><td><code>/g)?.length).toBe(3);
    expect(all.html.match(/<tr><td><code>/g)?.length).toBe(6);
  });

  it('marks every verdict provisional while a planned run has not finished', async () => {
    const store = filledStore();
    const finished = store.listRuns().map((run) => run.id);
    const complete = await buildReport(store, { runIds: finished });
    expect(complete.provisional).toBe(false);
    expect(complete.progress).toEqual({ planned: 3, finished: 3, unfinished: {} });
    expect(complete.html).not.toContain('id="incomplete"');
    expect(complete.html).not.toContain('class="provisional"');

    // One run stopped after an epoch (its sweep was interrupted), one never started.
    const spec = logregSpec({ data: { kind: 'synthetic', generator: 'moons' } });
    const interrupted = runId(spec);
    store.beginRun(interrupted, spec);
    store.recordEpoch(interrupted, 0, 'train', { loss: 1, accuracy: 0.5, seconds: 20 });
    const planned = [...finished, interrupted, 'never-started'];
    const partial = await buildReport(store, { runIds: planned, sweepStopped: true });
    // Without knowing the sweep stopped, a run whose last change is fresh is in progress; one
    // quiet for over ten of its epochs (20 s each: 200 s) and two minutes looks stopped.
    const now = Date.parse(store.getRun(interrupted)?.updatedAt as string);
    const fresh = runProgress(store, undefined, { now: now + 199_000 });
    const stale = runProgress(store, undefined, { now: now + 201_000 });
    store.close();
    expect(partial.progress).toEqual({
      planned: 5,
      finished: 3,
      unfinished: { interrupted: 1, 'not started': 1 },
    });
    expect(describeUnfinished(partial.progress)).toBe('1 interrupted, 1 not started');
    expect(partial.provisional).toBe(true);
    // The finished cell still gives its verdicts, each marked provisional, under one banner.
    expect(partial.claims.find((c) => c.id === 'effect-fades')?.verdict).toBe('reproduced');
    expect(partial.html).toContain('3 of 5 planned runs have finished');
    expect(partial.html.match(/class="provisional"/g)?.length).toBe(
      partial.claims.length + partial.predictions.length,
    );
    // Without a plan, the store's own unfinished runs make it provisional.
    expect(fresh).toEqual({ planned: 4, finished: 3, unfinished: { 'in progress': 1 } });
    expect(stale).toEqual({ planned: 4, finished: 3, unfinished: { interrupted: 1 } });
  });

  it('draws long runs thinned, and says so', async () => {
    const store = new RunStore(':memory:');
    for (const ratio of [0.5, 2]) {
      const spec = logregSpec({ weights: { kind: 'ratio', ratio }, epochs: 1_000 });
      const id = runId(spec);
      store.beginRun(id, spec);
      for (let e = 0; e < 1_000; e++) {
        store.recordEpoch(id, e, 'train', { loss: 1 / (e + 1), accuracy: 0.9 });
        store.recordEpoch(id, e, 'test', {
          'fractionPredicted.positive': 0.5 + (ratio > 1 ? 0.2 : -0.2) * Math.exp(-e / 100),
          accuracy: 0.8,
        });
      }
      store.finishRun(id, 'done', { seconds: 1 });
    }
    const report = await buildReport(store);
    store.close();
    expect(report.effects[0]?.epochs).toHaveLength(1_000);
    expect(report.html).toContain('at most 400 of their up to 1000 evaluations');
    // The fraction chart: two weights, each one line of at most 400 points (plus its band).
    const chart = /<figure>(<svg.*?<\/svg>)<\/figure>/s.exec(report.html)?.[1] ?? '';
    const longestPath = Math.max(
      ...[...chart.matchAll(/ d="([^"]*)"/g)].map((m) => (m[1]?.match(/L/g) ?? []).length),
    );
    expect(longestPath).toBeGreaterThan(100);
    expect(longestPath).toBeLessThan(400);
  });

  it('keeps cells of other losses out of the claims, and says so', async () => {
    const store = filledStore();
    for (const ratio of [0.25, 4]) {
      const spec = logregSpec({
        weights: { kind: 'ratio', ratio },
        loss: { name: 'poly', params: {} },
      });
      const id = runId(spec);
      store.beginRun(id, spec);
      for (let e = 0; e < 10; e++) {
        store.recordEpoch(id, e, 'test', {
          'fractionPredicted.positive': ratio > 1 ? 0.7 : 0.3,
          accuracy: 0.8,
        });
      }
      store.finishRun(id, 'done', { seconds: 1 });
    }
    const report = await buildReport(store);
    store.close();
    expect(report.effects).toHaveLength(2);
    // The poly cell keeps its whole effect; the claim still rests on the cross-entropy cell.
    expect(report.claims.find((c) => c.id === 'effect-fades')?.verdict).toBe('reproduced');
    expect(report.html).toContain('1 cell(s) trained with another loss (poly) are not evidence');
  });
});
