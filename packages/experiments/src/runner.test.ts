import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tinySpec } from './__tests__/specs.js';
import { expandGrid } from './grid.js';
import { runExperiment } from './runner.js';
import { resolveSpec, runId } from './spec.js';
import { RunStore } from './store.js';
import { runSweep } from './sweep.js';

const temp = () => mkdtempSync(join(tmpdir(), 'iwlab-runner-'));
const spec = resolveSpec(
  tinySpec({
    model: { kind: 'mlp', hidden: [8] },
    epochs: 4,
    optimizer: { kind: 'sgd', lr: { kind: 'inverse-sigma-max', factor: 1 } },
    evaluation: { boundaryEpochs: [1, 4], boundaryResolution: 5 },
  }),
);
const withoutTime = (rows: ReturnType<RunStore['epochs']>) =>
  rows.map((r) => ({ ...r, metrics: { ...r.metrics, seconds: 0 } }));

describe('runExperiment', () => {
  it('stores every epoch of every split, the derived lr and the boundary snapshots', async () => {
    const dir = temp();
    const store = new RunStore(join(dir, 'runs.sqlite'));
    const outcome = await runExperiment(spec, { store, checkpointDir: join(dir, 'ck') });
    expect(outcome).toMatchObject({ id: runId(spec), status: 'done', epochsCompleted: 4 });
    const run = store.getRun(outcome.id);
    expect(run).toMatchObject({ status: 'done', epochsCompleted: 4, backend: { name: 'cpu' } });
    expect(run?.versions?.['@iwlab/train']).toMatch(/^\d+\.\d+\.\d+/);
    expect(run?.info?.lr).toBeCloseTo(1 / (run?.info?.sigmaMax as number), 12);
    expect(run?.info?.classWeights).toEqual([1, 4]);
    const rows = store.epochs(outcome.id);
    expect(rows.map((r) => `${r.epoch}:${r.split}`)).toEqual(
      [0, 1, 2, 3].flatMap((e) => [`${e}:test`, `${e}:train`]),
    );
    const test = rows.find((r) => r.split === 'test')?.metrics ?? {};
    expect(test['fractionPredicted.positive']).toBeGreaterThanOrEqual(0);
    expect(test['fractionPredicted.positive']! + test['fractionPredicted.negative']!).toBeCloseTo(
      1,
      6,
    );
    const boundaries = store.artifacts(outcome.id, 'boundary');
    expect(boundaries.map((b) => b.epoch)).toEqual([0, 3]);
    expect((boundaries[0]?.value as { p1: number[] } | undefined)?.p1).toHaveLength(25);
    // Run again: the store has it finished, nothing is trained or written.
    expect(await runExperiment(spec, { store, checkpointDir: join(dir, 'ck') })).toMatchObject({
      status: 'skipped',
    });
    store.close();
  });

  it('resumes an interrupted run from its checkpoint to the same numbers as an uninterrupted one', async () => {
    const dir = temp();
    const reference = new RunStore(join(dir, 'a.sqlite'));
    await runExperiment(spec, { store: reference, checkpointDir: join(dir, 'ck-a') });

    const store = new RunStore(join(dir, 'b.sqlite'));
    const controller = new AbortController();
    const first = await runExperiment(spec, {
      store,
      checkpointDir: join(dir, 'ck-b'),
      signal: controller.signal,
      onEpoch: ({ epoch }) => {
        if (epoch === 1) controller.abort();
      },
    });
    expect(first).toMatchObject({ status: 'aborted', epochsCompleted: 2 });
    expect(store.getRun(first.id)?.status).toBe('running');
    const second = await runExperiment(spec, { store, checkpointDir: join(dir, 'ck-b') });
    expect(second).toMatchObject({ status: 'done', resumed: true, epochsCompleted: 4 });
    expect(store.getRun(first.id)?.attempts).toBe(2);
    expect(withoutTime(store.epochs(first.id))).toEqual(withoutTime(reference.epochs(first.id)));
    reference.close();
    store.close();
  });

  it("records the training set's margins when asked, without changing the other numbers", async () => {
    const dir = temp();
    const store = new RunStore(join(dir, 'runs.sqlite'));
    const plain = resolveSpec(tinySpec({ epochs: 3 }));
    const withMargins = resolveSpec(tinySpec({ epochs: 3, evaluation: { margins: true } }));
    const a = await runExperiment(plain, { store, checkpointDir: join(dir, 'ck') });
    const b = await runExperiment(withMargins, { store, checkpointDir: join(dir, 'ck') });
    const rows = store.epochs(b.id);
    expect(rows.map((r) => `${r.epoch}:${r.split}`)).toEqual(
      [0, 1, 2].flatMap((e) => [`${e}:test`, `${e}:train`, `${e}:train-margins`]),
    );
    const margins = rows.filter((r) => r.split === 'train-margins').map((r) => r.metrics);
    for (const m of margins) {
      // Logistic regression: min margin / ‖θ‖₂ over kernel and bias.
      expect(m.normalizedMargin).toBeCloseTo(
        (m.minMargin as number) / (m.parameterNorm as number),
        5,
      );
      expect(m.minMargin).toBeLessThanOrEqual(m['classMinMargin.positive'] as number);
    }
    // The margins' evaluation reads the model and nothing else: the same training, same numbers.
    const others = (id: string) =>
      withoutTime(store.epochs(id).filter((r) => r.split !== 'train-margins'));
    expect(others(b.id)).toEqual(others(a.id));
    store.close();
  });

  it('records a failure with its message and keeps the row', async () => {
    const dir = temp();
    const store = new RunStore(join(dir, 'runs.sqlite'));
    const bad = resolveSpec(
      tinySpec({ data: { kind: 'cifar-catdog' }, model: { kind: 'small-cnn' } }),
    );
    const outcome = await runExperiment(bad, {
      store,
      checkpointDir: join(dir, 'ck'),
      dataDir: join(dir, 'nowhere'),
    });
    expect(outcome.status).toBe('failed');
    expect(store.getRun(outcome.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/train_catdog\.bin/),
    });
    store.close();
  });
});

describe('runSweep (in process)', () => {
  it('runs each point once and skips finished runs on a second sweep', async () => {
    const dir = temp();
    const points = expandGrid(tinySpec({ epochs: 2 }), [
      { path: 'weights.ratio', values: [0.25, 4] },
    ]);
    const options = { db: join(dir, 'runs.sqlite'), checkpointDir: join(dir, 'ck'), jobs: 0 };
    const first = await runSweep(points, options);
    expect(first.outcomes.map((o) => o.status)).toEqual(['done', 'done']);
    const events: string[] = [];
    const second = await runSweep(points, { ...options, onEvent: (e) => events.push(e.kind) });
    expect(second).toMatchObject({ outcomes: [], skipped: 2 });
    expect(events).toEqual(['plan']);
  });
});

const dataDir =
  process.env.IWLAB_DATA_DIR ??
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data');
const hasCifar = existsSync(join(dataDir, 'cifar10-catdog', 'train_catdog.bin'));
if (!hasCifar) console.warn(`skipping the CIFAR runner test: no cifar10-catdog under ${dataDir}`);

describe('runExperiment on CIFAR cat vs dog', () => {
  it.skipIf(!hasCifar)(
    'stores the fraction predicted on the unlabeled out-of-domain and noise sets',
    async () => {
      const dir = temp();
      const store = new RunStore(join(dir, 'runs.sqlite'));
      const cifar = resolveSpec(
        tinySpec({
          data: { kind: 'cifar-catdog', trainPerClass: 8, evalPerSet: 8, noiseImages: 8 },
          model: { kind: 'logreg' },
          epochs: 1,
        }),
      );
      const outcome = await runExperiment(cifar, {
        store,
        checkpointDir: join(dir, 'ck'),
        dataDir,
      });
      expect(outcome.status).toBe('done');
      const rows = store.epochs(outcome.id);
      for (const split of ['out-of-domain', 'noise']) {
        const m = rows.find((r) => r.split === split)?.metrics ?? {};
        expect(m.count, split).toBe(8);
        expect(m['fractionPredicted.cat']! + m['fractionPredicted.dog']!, split).toBeCloseTo(1, 6);
      }
    },
  );
});
