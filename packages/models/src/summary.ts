// A model summary as data (for run records and reports) and as text (for people).
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ResolvedZooSpec } from './spec.js';

export interface LayerSummary {
  readonly name: string;
  readonly type: string;
  /** Output shape with the batch dimension as null, e.g. [null, 30, 30, 64]. */
  readonly outputShape: readonly (number | null)[];
  readonly params: number;
  readonly trainableParams: number;
}

export interface RegularizationSummary {
  /** λ of the explicit penalty λ·Σ‖W‖² the model adds through regularizationLoss(); 0 = off. */
  readonly l2Penalty: number;
  readonly l2PenaltyCovers: string;
  /** Always a pointer: weight decay is an optimizer setting, never a model one. */
  readonly weightDecay: string;
  readonly dropoutRate: number;
  readonly dropoutAt: readonly string[];
  readonly batchNorm: boolean;
}

export interface ModelSummary {
  readonly kind: string;
  readonly spec: ResolvedZooSpec;
  readonly layers: readonly LayerSummary[];
  readonly totalParams: number;
  readonly trainableParams: number;
  readonly nonTrainableParams: number;
  /** Parameters under the L2 penalty (dense and conv kernels). */
  readonly regularizedParams: number;
  readonly regularization: RegularizationSummary;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function describeModel(spec: ResolvedZooSpec, network: tfl.LayersModel): ModelSummary {
  const layers = network.layers.map((layer) => ({
    name: layer.name,
    type: layer.getClassName(),
    outputShape: [...(layer.outputShape as (number | null)[])],
    params: layer.countParams(),
    trainableParams: layer.trainableWeights.reduce((n, w) => n + size(w.shape as number[]), 0),
  }));
  const totalParams = layers.reduce((n, l) => n + l.params, 0);
  const trainableParams = layers.reduce((n, l) => n + l.trainableParams, 0);
  const regularizedParams = network.layers.reduce(
    (n, layer) =>
      n +
      layer.weights
        .filter((w) => w.originalName.endsWith('/kernel'))
        .reduce((m, w) => m + size(w.shape as number[]), 0),
    0,
  );
  const dropoutAt = 'dropoutAt' in spec ? [...spec.dropoutAt] : [];
  return {
    kind: spec.kind,
    spec,
    layers,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    regularizedParams,
    regularization: {
      l2Penalty: spec.l2,
      l2PenaltyCovers: 'dense and conv kernels; not biases, batch-norm parameters or embeddings',
      weightDecay: 'not a model setting: optimizer weight decay is configured in the trainer',
      dropoutRate: spec.dropout,
      dropoutAt: spec.dropout > 0 ? dropoutAt : [],
      batchNorm: spec.batchNorm,
    },
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** A fixed-width table like Keras' model.summary(), followed by totals and the switches. */
export function formatSummary(summary: ModelSummary): string {
  const rows = summary.layers.map((l) => [
    `${l.name} (${l.type})`,
    `[${l.outputShape.map((d) => (d === null ? 'B' : String(d))).join(', ')}]`,
    fmt(l.params),
  ]);
  const header = ['layer (type)', 'output shape', 'params'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const r = summary.regularization;
  return [
    `model: ${summary.kind}`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `total params:         ${fmt(summary.totalParams)}`,
    `trainable params:     ${fmt(summary.trainableParams)}`,
    `non-trainable params: ${fmt(summary.nonTrainableParams)}`,
    `L2 penalty:           ${r.l2Penalty === 0 ? 'off' : `λ = ${r.l2Penalty} on ${fmt(summary.regularizedParams)} params (${r.l2PenaltyCovers})`}`,
    `weight decay:         ${r.weightDecay}`,
    `dropout:              ${r.dropoutRate === 0 ? 'off' : `p = ${r.dropoutRate} at ${r.dropoutAt.join(', ')}`}`,
    `batch norm:           ${r.batchNorm ? 'on' : 'off'}`,
  ].join('\n');
}
