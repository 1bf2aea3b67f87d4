// The importance-weighted training loop. Per step: forward, weighted + reduced loss, gradients,
// optional clipping, optimizer update; the loss is summed on the backend and read back once per
// epoch (and every `checkNonFiniteEvery` steps), never per step unless a callback asks.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensureGradients } from '@iwlab/backend';
import type { Batch, LossContext, MetricValues } from '@iwlab/core';
import { DataError, DivergedError, Rng, SpecError } from '@iwlab/core';
import { weightedReduce } from '@iwlab/losses';
import { evaluateSets } from '@iwlab/metrics';
import * as tf from '@tensorflow/tfjs-core';
import {
  assertSameRun,
  CHECKPOINT_VERSION,
  checkpointExists,
  checkpointPath,
  checkVersion,
  fingerprintOf,
  type StoredCheckpointMeta,
  storedHistory,
  takeTensors,
} from './checkpoint.js';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';
import { clipGradients } from './clip.js';
import { EarlyStopping } from './early-stopping.js';
import { EventHub } from './events.js';
import { appendHistory, clearHistory } from './history-file.js';
import { extraStateOf, restoreExtraState } from './internal/extra-state.js';
import { withWeights } from './internal/model-weights.js';
import { ObjectiveLog } from './internal/objective-log.js';
import { createOptimizer, type Optimizer } from './optimizers.js';
import { learningRateAt } from './schedules.js';
import { disposeBatch, MetricAccumulator } from './train-metrics.js';
import type { EpochRecord, TrainOptions, TrainResult } from './types.js';
import { validateTrainOptions } from './validate.js';
import { phaseAt, stepWeights, type WeightRule } from './weighting.js';

type EpochOutcome =
  | { readonly kind: 'ok'; readonly loss: number; readonly train: MetricValues }
  | { readonly kind: 'diverged'; readonly step: number }
  | { readonly kind: 'aborted' };

/** Trains `options.model` in place and resolves when the run is done, diverged or aborted. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  validateTrainOptions(options);
  // tfjs-core alone registers no gradients in Node; @iwlab/backend loads them once if missing.
  await ensureGradients();
  const run = new Run(options);
  try {
    return await run.execute();
  } catch (error) {
    await run.hub
      .emit('onStatus', {
        status: 'failed',
        epoch: run.epoch,
        step: run.steps,
        error: error instanceof Error ? error : new Error(String(error)),
      })
      .catch(() => {});
    throw error;
  } finally {
    run.dispose();
  }
}

class Run {
  readonly hub: EventHub;
  epoch = 0;
  steps = 0;
  readonly #o: TrainOptions;
  readonly #optimizer: Optimizer;
  readonly #earlyStopping: EarlyStopping | null;
  readonly #classWeights = new Map<number, tf.Tensor1D>();
  readonly #history: EpochRecord[] = [];
  /** How many of the history's records history.jsonl holds. */
  #historySaved = 0;
  #rng: Rng;
  #stoppedEarly = false;
  #lr: { value: number; tensor: tf.Scalar } | null = null;

  constructor(options: TrainOptions) {
    this.#o = options;
    this.hub = new EventHub(options.callbacks);
    this.#optimizer = createOptimizer(options.optimizer);
    this.#rng = Rng.fromSeed(options.seed);
    this.#earlyStopping = options.earlyStopping ? new EarlyStopping(options.earlyStopping) : null;
    options.weighting?.forEach((phase, i) => {
      if (typeof phase.weights === 'object') {
        this.#classWeights.set(i, tf.tensor1d([...phase.weights.perClass], 'float32'));
      }
    });
  }

  async execute(): Promise<TrainResult> {
    const o = this.#o;
    let resumedEpochs = 0;
    if (o.checkpoint && (await checkpointExists(o.checkpoint.dir))) {
      const path = checkpointPath(o.checkpoint.dir);
      // A fresh run would overwrite another run's checkpoint: never lose stored results.
      if (!o.resume) {
        throw new SpecError(
          'a checkpoint already exists here; pass resume: true to continue that run, or use another directory',
          { file: path, field: 'checkpoint.dir' },
        );
      }
      await this.#load(path);
      resumedEpochs = this.epoch;
    } else if (o.checkpoint) {
      // A fresh run: lines a crash left before the first checkpoint belong to no checkpoint.
      await clearHistory(o.checkpoint.dir);
    }
    await this.hub.emit('onStatus', { status: 'running', epoch: this.epoch, step: this.steps });
    const phases = o.weighting ?? [];
    let phase = this.epoch > 0 ? phaseAt(phases, this.epoch - 1) : Number.NaN;
    while (!this.#stoppedEarly && this.epoch < o.epochs) {
      const epoch = this.epoch;
      if (o.signal?.aborted) return this.#aborted(resumedEpochs);
      const nextPhase = phaseAt(phases, epoch);
      const rule: WeightRule = nextPhase < 0 ? 'batch' : (phases[nextPhase]?.weights ?? 'batch');
      if (nextPhase !== phase) {
        phase = nextPhase;
        await this.hub.emit('onWeightsChange', { epoch, phase, rule });
      }
      const startLr = learningRateAt(o.optimizer.lr, epoch);
      await this.hub.emit('onEpochStart', { epoch, lr: startLr });
      const started = performance.now();
      const outcome = await this.#trainEpoch(epoch, rule, nextPhase);
      if (outcome.kind === 'aborted') return this.#aborted(resumedEpochs);
      if (outcome.kind === 'diverged') return this.#diverged(epoch, outcome.step, resumedEpochs);
      o.loss.onEpochEnd?.(this.#lossContext(epoch, this.steps));

      const every = o.evaluate?.every ?? 1;
      const evaluated =
        o.evaluate && ((epoch + 1) % every === 0 || epoch + 1 === o.epochs)
          ? await evaluateSets(o.model, o.evaluate.sets, o.evaluate.metrics)
          : undefined;
      if (evaluated) await this.hub.emit('onEvaluation', { epoch, results: evaluated });
      const record: EpochRecord = {
        epoch,
        steps: this.steps,
        lr: startLr,
        loss: outcome.loss,
        train: outcome.train,
        ...(evaluated ? { eval: evaluated } : {}),
        seconds: (performance.now() - started) / 1000,
      };
      this.#history.push(record);
      this.epoch = epoch + 1;
      this.#stoppedEarly = this.#earlyStopping?.observe(record, o.model) ?? false;
      await this.hub.emit('onEpochEnd', { record });
      const cp = o.checkpoint;
      if (cp && (this.epoch % cp.every === 0 || this.epoch === o.epochs || this.#stoppedEarly)) {
        await this.#save(cp.dir);
      }
    }
    const restoredEpoch =
      (this.#earlyStopping?.options.restoreBest ?? true)
        ? this.#earlyStopping?.restore(o.model)
        : undefined;
    await this.hub.emit('onStatus', { status: 'done', epoch: this.epoch, step: this.steps });
    const es = this.#earlyStopping?.state;
    return {
      status: 'done',
      history: this.#history,
      epochsCompleted: this.epoch,
      steps: this.steps,
      resumedEpochs,
      ...(restoredEpoch !== undefined ? { restoredEpoch } : {}),
      ...(this.#stoppedEarly && es && es.best !== null
        ? { stoppedEarly: { epoch: this.epoch - 1, bestEpoch: es.bestEpoch, best: es.best } }
        : {}),
    };
  }

  #lossContext(epoch: number, step: number, batch?: Batch): LossContext {
    const o = this.#o;
    return {
      numClasses: o.model.spec.numClasses,
      epoch,
      step,
      ...(o.classCounts ? { classCounts: o.classCounts } : {}),
      ...(o.groupCounts ? { groupCounts: o.groupCounts } : {}),
      ...(batch?.group ? { group: batch.group } : {}),
    };
  }

  /** One scalar per distinct rate, so a constant rate costs no upload per step. */
  #lrTensor(value: number): tf.Scalar {
    if (this.#lr?.value !== value) {
      this.#lr?.tensor.dispose();
      this.#lr = { value, tensor: tf.scalar(value) };
    }
    return this.#lr.tensor;
  }

  async #trainEpoch(epoch: number, rule: WeightRule, phase: number): Promise<EpochOutcome> {
    const o = this.#o;
    const variables = o.model.trainableVariables;
    const stepsPerEpoch = Math.max(1, Math.ceil(o.data.numExamples / o.data.batchSize));
    const classWeights = this.#classWeights.get(phase) ?? null;
    const wantBatchEnd = this.hub.has('onBatchEnd');
    const checkEvery = o.checkNonFiniteEvery ?? 0;
    const metrics = o.trainMetrics?.length ? new MetricAccumulator(o.trainMetrics) : null;
    // On the backend: the running sum of the data loss, and every step's objective until the
    // next non-finite check reads them back.
    let lossSum: tf.Scalar = tf.scalar(0);
    const objectives = new ObjectiveLog(this.steps);
    let stepInEpoch = 0;
    try {
      for await (const batch of o.data.epoch(epoch)) {
        let weights: tf.Tensor1D | null = null;
        let dataLoss: tf.Scalar | null = null;
        let logits: tf.Tensor2D | null = null;
        let objective: tf.Scalar | null = null;
        let logged = false;
        try {
          if (o.signal?.aborted) return { kind: 'aborted' };
          const lr = learningRateAt(
            o.optimizer.lr,
            o.lrUpdate === 'step' ? epoch + stepInEpoch / stepsPerEpoch : epoch,
          );
          const w = stepWeights(rule, batch, epoch, classWeights, this.#rng);
          weights = w;
          const ctx = this.#lossContext(epoch, this.steps, batch);
          const { value, grads } = tf.variableGrads(() => {
            const z = o.model.apply(batch.x, true);
            const reduced = weightedReduce(o.loss.perExample(z, batch.y, ctx), w, o.reduction);
            dataLoss = tf.keep(reduced);
            if (metrics) logits = tf.keep(z);
            const penalty = o.model.regularizationLoss();
            return penalty ? tf.add(reduced, penalty) : reduced;
          }, variables as tf.Variable[]);
          // Without a penalty the objective and the data loss are one tensor.
          objective = value;
          const gradList = variables.map((v) => grads[v.name] as tf.Tensor);
          const applied = o.gradientClip ? clipGradients(gradList, o.gradientClip) : gradList;
          this.#optimizer.apply(variables, applied, this.#lrTensor(lr));
          if (applied !== gradList) tf.dispose(applied);
          tf.dispose(grads);
          const loss = dataLoss as unknown as tf.Scalar;
          const nextSum = tf.add(lossSum, loss) as tf.Scalar;
          lossSum.dispose();
          lossSum = nextSum;
          objectives.push(value);
          logged = true;
          if (metrics && logits) {
            metrics.update(logits, w === batch.w ? batch : { ...batch, w });
          }
          if (wantBatchEnd) {
            await this.hub.emit('onBatchEnd', {
              epoch,
              step: this.steps,
              stepInEpoch,
              readLoss: async () => (await loss.data())[0] as number,
            });
          }
        } finally {
          if (weights && weights !== batch.w) weights.dispose();
          disposeBatch(batch);
          (logits as tf.Tensor | null)?.dispose();
          // The log owns a logged objective; the data loss is freed unless it is that tensor.
          if (dataLoss !== null && dataLoss !== objective) (dataLoss as tf.Scalar).dispose();
          if (!logged) objective?.dispose();
        }
        this.steps += 1;
        stepInEpoch += 1;
        if (checkEvery > 0 && stepInEpoch % checkEvery === 0) {
          const bad = await objectives.firstNonFinite();
          if (bad >= 0) return { kind: 'diverged', step: bad };
        }
      }
      if (stepInEpoch === 0) {
        throw new DataError('the training stream yielded no batches', { field: 'data', epoch });
      }
      const bad = await objectives.firstNonFinite();
      const sum = (await lossSum.data())[0] as number;
      if (bad >= 0 || !Number.isFinite(sum)) {
        return { kind: 'diverged', step: bad >= 0 ? bad : this.steps - 1 };
      }
      const train = metrics ? await metrics.results('trainMetrics') : {};
      return { kind: 'ok', loss: sum / stepInEpoch, train };
    } finally {
      lossSum.dispose();
      objectives.dispose();
      metrics?.dispose();
    }
  }

  async #aborted(resumedEpochs: number): Promise<TrainResult> {
    await this.hub.emit('onStatus', { status: 'aborted', epoch: this.epoch, step: this.steps });
    return {
      status: 'aborted',
      history: this.#history,
      epochsCompleted: this.epoch,
      steps: this.steps,
      resumedEpochs,
    };
  }

  async #diverged(epoch: number, step: number, resumedEpochs: number): Promise<TrainResult> {
    const error = new DivergedError(
      'the training objective became non-finite (NaN or ±Infinity); lower the learning rate, clip gradients or check the weights. Epochs before this one are kept.',
      { epoch, step },
    );
    await this.hub.emit('onStatus', { status: 'diverged', epoch, step, error });
    return {
      status: 'diverged',
      history: this.#history,
      epochsCompleted: this.epoch,
      steps: this.steps,
      resumedEpochs,
      diverged: { epoch, step, error },
    };
  }

  async #save(dir: string): Promise<void> {
    const o = this.#o;
    await mkdir(dir, { recursive: true });
    const path = checkpointPath(dir);
    // The new epochs reach the disk before the checkpoint that counts them.
    await appendHistory(dir, this.#history.slice(this.#historySaved));
    this.#historySaved = this.#history.length;
    await withWeights(o.model, async (modelWeights) => {
      const tensors: [string, tf.Tensor][] = [];
      for (const [i, w] of modelWeights.entries()) tensors.push([`model/${i}`, w]);
      const optimizerState = this.#optimizer.getState();
      const slots: Record<string, number> = {};
      for (const [name, list] of Object.entries(optimizerState.slots)) {
        slots[name] = list.length;
        for (const [i, t] of list.entries()) tensors.push([`opt/${name}/${i}`, t]);
      }
      const best = this.#earlyStopping?.bestWeights ?? [];
      for (const [i, t] of best.entries()) tensors.push([`best/${i}`, t]);
      const lossState = await extraStateOf(o.loss);
      const modelState = await extraStateOf(o.model);
      const meta: StoredCheckpointMeta = {
        version: CHECKPOINT_VERSION,
        fingerprint: fingerprintOf(o),
        epochsCompleted: this.epoch,
        steps: this.steps,
        stoppedEarly: this.#stoppedEarly,
        rngState: this.#rng.state(),
        optimizer: { iterations: optimizerState.iterations, slots },
        modelWeights: modelWeights.length,
        ...(this.#earlyStopping
          ? { earlyStopping: { ...this.#earlyStopping.state, bestWeights: best.length } }
          : {}),
        ...(lossState !== undefined ? { lossState } : {}),
        ...(modelState !== undefined ? { modelState } : {}),
      };
      await writeCheckpointFile(path, meta, tensors);
    });
    await this.hub.emit('onCheckpoint', { epoch: this.epoch - 1, path });
  }

  async #load(path: string): Promise<void> {
    const o = this.#o;
    const { meta, tensors } = await readCheckpointFile<StoredCheckpointMeta>(path);
    try {
      checkVersion(meta, path);
      assertSameRun(meta.fingerprint, fingerprintOf(o), path);
      const weights = takeTensors(tensors, 'model', meta.modelWeights, path);
      o.model.setWeights(weights);
      tf.dispose(weights);
      const slots: Record<string, tf.Tensor[]> = {};
      for (const [name, count] of Object.entries(meta.optimizer.slots)) {
        slots[name] = takeTensors(tensors, `opt/${name}`, count, path);
      }
      this.#optimizer.setState({ iterations: meta.optimizer.iterations, slots });
      for (const list of Object.values(slots)) tf.dispose(list);
      if (this.#earlyStopping && meta.earlyStopping) {
        const { bestWeights, ...state } = meta.earlyStopping;
        this.#earlyStopping.load(
          state,
          bestWeights ? takeTensors(tensors, 'best', bestWeights, path) : null,
        );
      }
      restoreExtraState(o.loss, meta.lossState, 'lossState', path);
      restoreExtraState(o.model, meta.modelState, 'modelState', path);
      this.#rng = Rng.fromState(meta.rngState);
      const dir = dirname(path);
      this.#history.push(...(await storedHistory(meta, dir, { cut: true })));
      // A version-1 checkpoint held its history inline: the next one writes it all out.
      if (meta.version === 1) await clearHistory(dir);
      this.#historySaved = meta.version === 1 ? 0 : this.#history.length;
      this.epoch = meta.epochsCompleted;
      this.steps = meta.steps;
      this.#stoppedEarly = meta.stoppedEarly;
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
  }

  dispose(): void {
    this.#optimizer.dispose();
    this.#earlyStopping?.dispose();
    for (const t of this.#classWeights.values()) t.dispose();
    this.#lr?.tensor.dispose();
  }
}
