// One run: spec → data, model, loss → @iwlab/train → every epoch into the store. The run resumes
// from its checkpoint when an earlier attempt was interrupted, and a finished run is skipped.
import { join } from 'node:path';
import { initBackend } from '@iwlab/backend';
import type { BackendInfo, EvalSet, MetricValues, RunStatus } from '@iwlab/core';
import { IwlabError, mixSeed } from '@iwlab/core';
import {
  classCounts,
  classWeights,
  exampleWeightsFromClasses,
  toBatchStream,
  toEvalSet,
} from '@iwlab/datasets';
import { createLoss } from '@iwlab/losses';
import {
  classificationMetrics,
  decisionBoundaryGrid,
  evaluateSets,
  fractionPredicted,
  type MarginNormalization,
  marginMetrics,
} from '@iwlab/metrics';
import { createModel, type ZooModel, type ZooSpec } from '@iwlab/models';
import { type EpochRecord, type LrSpec, type OptimizerSpec, train } from '@iwlab/train';
import { loadRunData, type RunData, sigmaMax } from './internal/data.js';
import { gitCommit, packageVersions } from './internal/provenance.js';
import { dataShape, type ExperimentSpec, MARGINS_SPLIT, runId } from './spec.js';
import type { RunStore } from './store.js';

export interface RunOptions {
  readonly store: RunStore;
  /** Folder for per-run checkpoints (`<dir>/<run id>/`). */
  readonly checkpointDir: string;
  /** Where real data sets are looked for (else IWLAB_DATA_DIR, else the user cache). */
  readonly dataDir?: string;
  /** Overrides the spec's backend choice for this process (the spec and id are unchanged). */
  readonly backend?: ExperimentSpec['backend'];
  /** Write a checkpoint every N epochs (default 1: a resumed run repeats no epoch). */
  readonly checkpointEvery?: number;
  readonly signal?: AbortSignal;
  /** Called after each stored epoch. */
  readonly onEpoch?: (event: { id: string; epoch: number; epochs: number }) => void;
}

export interface RunOutcome {
  readonly id: string;
  /** 'skipped' when the store already had the run finished; 'aborted' when the signal stopped it. */
  readonly status: RunStatus | 'skipped' | 'aborted';
  readonly resumed: boolean;
  readonly epochsCompleted: number;
  readonly error?: string;
}

let backendReady: Promise<BackendInfo> | undefined;
let backendChoice: string | undefined;

/** One backend per process: tfjs keeps one kernel registry, so the first choice wins. */
function ensureBackend(choice: ExperimentSpec['backend']): Promise<BackendInfo> {
  if (backendReady === undefined) {
    backendChoice = choice;
    backendReady = initBackend(choice);
  } else if (backendChoice !== choice) {
    return Promise.reject(
      new IwlabError(
        'IWLAB_BACKEND_MIXED',
        `this process already runs on backend '${backendChoice}', cannot switch to '${choice}'`,
        { field: 'backend' },
      ),
    );
  }
  return backendReady;
}

function resolveLr(
  spec: ExperimentSpec,
  data: RunData,
): { lr: LrSpec; info: Record<string, number> } {
  const lr = spec.optimizer.lr;
  if (typeof lr === 'object' && lr.kind === 'inverse-sigma-max') {
    const sigma = sigmaMax(data.train);
    return { lr: lr.factor / sigma, info: { sigmaMax: sigma, lr: lr.factor / sigma } };
  }
  return { lr: lr as LrSpec, info: {} };
}

function trainSplit(record: EpochRecord): MetricValues {
  return {
    loss: record.loss,
    lr: record.lr,
    steps: record.steps,
    seconds: record.seconds,
    ...record.train,
  };
}

/** Bounds of the 2-D points, padded by 10%, for boundary grids. */
function bounds(x: ArrayLike<number>): { x: [number, number]; y: [number, number] } {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i + 1 < x.length; i += 2) {
    const a = x[i] as number;
    const b = x[i + 1] as number;
    x0 = Math.min(x0, a);
    x1 = Math.max(x1, a);
    y0 = Math.min(y0, b);
    y1 = Math.max(y1, b);
  }
  const px = (x1 - x0) * 0.1;
  const py = (y1 - y0) * 0.1;
  return { x: [x0 - px, x1 + px], y: [y0 - py, y1 + py] };
}

/**
 * How a model's margins are normalized. Logistic regression: by ‖θ‖₂ over kernel and bias, the
 * setting of Soudry et al. (a linear model on [x, 1]), where the theory is exact. Deeper models
 * have biases, so no normalization is exactly scale-invariant: the product of the kernels'
 * Frobenius norms, the usual heuristic (read it as one).
 */
function marginNormalization(model: ZooModel): MarginNormalization {
  return model.spec.kind === 'logreg'
    ? { kind: 'global', degree: 1, parameters: () => model.trainableVariables }
    : { kind: 'layerProduct', parameters: () => model.regularizedVariables };
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** Runs (or resumes, or skips) one experiment and stores everything it produces. */
export async function runExperiment(
  spec: ExperimentSpec,
  options: RunOptions,
): Promise<RunOutcome> {
  const { store } = options;
  const id = runId(spec);
  const existing = store.getRun(id);
  if (existing !== null && (existing.status === 'done' || existing.status === 'diverged')) {
    return { id, status: 'skipped', resumed: false, epochsCompleted: existing.epochsCompleted };
  }
  const backend = await ensureBackend(options.backend ?? spec.backend);
  const begin = store.beginRun(id, spec, {
    backend,
    versions: packageVersions(),
    gitCommit: gitCommit(),
  });
  if (begin.action === 'skip') {
    return {
      id,
      status: 'skipped',
      resumed: false,
      epochsCompleted: existing?.epochsCompleted ?? 0,
    };
  }
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let model: ReturnType<typeof createModel> | undefined;
  try {
    const data = loadRunData(spec, options.dataDir);
    const { inputShape, numClasses } = dataShape(spec.data);
    const counts = classCounts(data.train);
    const w = classWeights(
      spec.weights.kind === 'explicit'
        ? { kind: 'explicit', weights: spec.weights.weights }
        : spec.weights,
      counts,
      { normalize: spec.normalizeWeights },
    );
    const { lr, info } = resolveLr(spec, data);
    store.setInfo(id, {
      ...info,
      classWeights: w,
      classCounts: counts,
      trainExamples: data.train.y.length,
    });
    const stream = toBatchStream(data.train, {
      batchSize: spec.batchSize,
      seed: mixSeed(spec.seed, 1),
      weights: exampleWeightsFromClasses(w, data.train.y),
      ...(data.preprocess === undefined ? {} : { preprocess: data.preprocess }),
    });
    const evalOptions = {
      batchSize: 256,
      ...(data.preprocess === undefined ? {} : { preprocess: data.preprocess }),
    };
    const labeled: EvalSet[] = data.evaluation
      .filter((s) => s.labeled)
      .map((s) => toEvalSet(s.name, s.data, evalOptions));
    const unlabeled: EvalSet[] = data.evaluation
      .filter((s) => !s.labeled)
      .map((s) => toEvalSet(s.name, s.data, evalOptions));
    const metricOptions = { numClasses, classNames: data.classNames, confusion: false };
    // The training set once more, in evaluation mode, for its margins: whether the net has
    // separated it (the claims), and their normalized value (prediction (c)).
    const marginSet =
      spec.evaluation.margins === true
        ? toEvalSet(MARGINS_SPLIT, data.train, evalOptions)
        : undefined;
    model = createModel({
      ...spec.model,
      inputShape,
      numClasses,
      seed: mixSeed(spec.seed, 2),
    } as unknown as ZooSpec);
    const trained = model;
    const loss = createLoss(spec.loss.name, spec.loss.params as Record<string, unknown>, {
      numClasses,
      classCounts: counts,
    });
    const boundaryEpochs = new Set(spec.evaluation.boundaryEpochs);
    const grid =
      spec.data.kind === 'synthetic' ? bounds(data.evaluation[0]?.data.x ?? []) : undefined;
    if (grid !== undefined && boundaryEpochs.size > 0) {
      const test = data.evaluation[0]?.data;
      if (test !== undefined) {
        store.recordArtifact(id, -1, 'points', {
          x: Array.from(test.x, (v) => round(v, 4)),
          y: Array.from(test.y),
        });
      }
    }
    const extra = new Map<number, Record<string, MetricValues>>();
    const optimizer = { ...spec.optimizer, lr } as OptimizerSpec;
    const result = await train({
      model,
      loss,
      reduction: spec.reduction,
      data: stream,
      optimizer,
      epochs: spec.epochs,
      seed: mixSeed(spec.seed, 3),
      classCounts: counts,
      trainMetrics: [classificationMetrics(metricOptions)],
      evaluate: {
        sets: labeled,
        metrics: [classificationMetrics(metricOptions)],
        every: spec.evaluation.every,
      },
      checkpoint: { dir: join(options.checkpointDir, id), every: options.checkpointEvery ?? 1 },
      resume: true,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      callbacks: {
        onEvaluation: async ({ epoch }) => {
          const values: Record<string, MetricValues> = {};
          if (unlabeled.length > 0) {
            // fractionPredicted reads predictions only, so the label -1 of these sets is fine.
            Object.assign(
              values,
              await evaluateSets(trained, unlabeled, [
                fractionPredicted({ numClasses, classNames: data.classNames }),
              ]),
            );
          }
          if (marginSet !== undefined) {
            Object.assign(
              values,
              await evaluateSets(
                trained,
                [marginSet],
                [
                  marginMetrics({
                    numClasses,
                    classNames: data.classNames,
                    normalization: marginNormalization(trained),
                  }),
                ],
              ),
            );
          }
          if (Object.keys(values).length > 0) extra.set(epoch, values);
        },
        onEpochEnd: async ({ record }) => {
          store.recordEpoch(id, record.epoch, 'train', trainSplit(record));
          for (const [split, values] of Object.entries({
            ...record.eval,
            ...extra.get(record.epoch),
          })) {
            store.recordEpoch(id, record.epoch, split, values);
          }
          extra.delete(record.epoch);
          if (grid !== undefined && boundaryEpochs.has(record.epoch + 1)) {
            const g = await decisionBoundaryGrid(trained, {
              ...grid,
              resolution: spec.evaluation.boundaryResolution,
            });
            const k = g.numClasses;
            store.recordArtifact(id, record.epoch, 'boundary', {
              xs: g.xs.map((v) => round(v, 4)),
              ys: g.ys.map((v) => round(v, 4)),
              // p(class 1) per grid point, row-major over ys then xs.
              p1: Array.from({ length: g.xs.length * g.ys.length }, (_, i) =>
                round(g.probabilities[i * k + 1] as number, 4),
              ),
            });
          }
          options.onEpoch?.({ id, epoch: record.epoch, epochs: spec.epochs });
        },
      },
    });
    const resumed = begin.action === 'resume' || result.resumedEpochs > 0;
    if (result.status === 'aborted') {
      // Left 'running': the next attempt resumes from the checkpoint.
      return { id, status: 'aborted', resumed, epochsCompleted: result.epochsCompleted };
    }
    if (result.status === 'diverged') {
      const error = result.diverged?.error.message ?? 'non-finite loss';
      store.finishRun(id, 'diverged', { seconds: seconds(), error });
      return { id, status: 'diverged', resumed, epochsCompleted: result.epochsCompleted, error };
    }
    store.finishRun(id, 'done', { seconds: seconds() });
    return { id, status: 'done', resumed, epochsCompleted: result.epochsCompleted };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    store.finishRun(id, 'failed', { seconds: seconds(), error: message });
    return {
      id,
      status: 'failed',
      resumed: begin.action === 'resume',
      epochsCompleted: store.getRun(id)?.epochsCompleted ?? 0,
      error: message,
    };
  } finally {
    model?.dispose();
  }
}
