// Tile on the wasm heap by copying whole rows. Batch norm's gradient tiles per-channel [1,1,1,C]
// values up to the activation's shape: stock wasm Tile took 375 ms for [1,1,1,32] → [64,32,32,32]
// (a profile of the small CNN with batch norm: ~550 of ~1000 ms of a training step), element by
// element. Each output row along the last axis is the input's row repeated, so it is built once
// per input row and copied.
import type * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from './geometry.js';

export function tileOnHeap(
  backend: HeapBackend,
  x: tf.TensorInfo,
  reps: readonly number[],
): tf.TensorInfo {
  const inShape = x.shape.length === 0 ? [1] : x.shape;
  const rank = inShape.length;
  const outShape = inShape.map((d, i) => d * (reps[i] ?? 1));
  const out = backend.makeOutput(x.shape.length === 0 ? [] : outShape, x.dtype);
  // makeOutput may grow the heap, which detaches earlier views: take views after it.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  if (dst.length === 0) return out;
  const inRow = inShape[rank - 1] as number;
  const outRow = outShape[rank - 1] as number;
  const inRows = src.length / inRow;
  if (inRows === 1) {
    // One row (batch norm's [1,1,1,C]): build the first output row, then double what is written.
    for (let k = 0; k < outRow; k += inRow) dst.set(src, k);
    for (let filled = outRow; filled < dst.length; filled *= 2) {
      dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled));
    }
    return out;
  }
  // Every input row, repeated along the last axis: inRows x outRow values.
  const expanded = new (src.constructor as new (n: number) => tf.TypedArray)(inRows * outRow);
  for (let r = 0; r < inRows; r++) {
    const row = src.subarray(r * inRow, (r + 1) * inRow);
    for (let k = 0; k < outRow; k += inRow) expanded.set(row, r * outRow + k);
  }
  // Output rows in order: the leading indices (o_0, ..., o_{rank-2}) map to the input row
  // (o_0 mod s_0, ..., o_{rank-2} mod s_{rank-2}).
  const lead = outShape.slice(0, -1);
  const index = lead.map(() => 0);
  const outRows = dst.length / outRow;
  for (let r = 0; r < outRows; r++) {
    let inRowIndex = 0;
    for (let a = 0; a < lead.length; a++) {
      inRowIndex =
        inRowIndex * (inShape[a] as number) + ((index[a] as number) % (inShape[a] as number));
    }
    const from = inRowIndex * outRow;
    const to = r * outRow;
    // A view per row costs more than copying a short row by hand (V8 allocates each subarray).
    if (outRow < 256) for (let k = 0; k < outRow; k++) dst[to + k] = expanded[from + k] as number;
    else dst.set(expanded.subarray(from, from + outRow), to);
    for (let a = lead.length - 1; a >= 0; a--) {
      index[a] = (index[a] as number) + 1;
      if ((index[a] as number) < (lead[a] as number)) break;
      index[a] = 0;
    }
  }
  return out;
}
