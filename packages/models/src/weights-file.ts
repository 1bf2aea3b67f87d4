// One self-describing file per checkpoint: the resolved spec (so `loadModel` can rebuild the
// network), the dropout clock, and every weight by its stable name.
//
// Layout: 8-byte magic "IWLABW1\n" | uint32 LE header length | header JSON (UTF-8) | raw data.
// Each weight's bytes sit at (12 + header length + offset), little-endian float32.
import { DataError, IwlabError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ZooModel } from './model.js';
import { createModel, parseModelSpec } from './registry.js';
import type { ResolvedZooSpec, ZooSpec } from './spec.js';

const MAGIC = 'IWLABW1\n';
const PREAMBLE = MAGIC.length + 4;

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  offset: number;
  length: number;
}

interface Header {
  format: 'iwlab-weights';
  version: 1;
  spec: ResolvedZooSpec;
  dropoutStep: number;
  weights: WeightEntry[];
}

export interface DecodedWeights {
  readonly spec: ResolvedZooSpec;
  readonly dropoutStep: number;
  /** Weight values by name, in file order. */
  readonly weights: ReadonlyMap<string, { shape: number[]; values: Float32Array }>;
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('iwlab weights files are little-endian; this platform is big-endian');
  }
}

/** Serializes a model's weights (moving statistics included), spec and dropout clock. */
export async function encodeWeights(model: ZooModel): Promise<Uint8Array> {
  assertLittleEndian();
  const tensors = model.getWeights();
  try {
    const values = await Promise.all(tensors.map((t) => t.data<'float32'>()));
    let offset = 0;
    const entries: WeightEntry[] = model.weightNames.map((name, i) => {
      const length = (values[i] as Float32Array).byteLength;
      const entry: WeightEntry = {
        name,
        shape: [...(tensors[i] as tf.Tensor).shape],
        dtype: 'float32',
        offset,
        length,
      };
      offset += length;
      return entry;
    });
    const header: Header = {
      format: 'iwlab-weights',
      version: 1,
      spec: model.spec,
      dropoutStep: model.dropoutStep,
      weights: entries,
    };
    const headerBytes = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(PREAMBLE + headerBytes.byteLength + offset);
    out.set(new TextEncoder().encode(MAGIC), 0);
    new DataView(out.buffer).setUint32(MAGIC.length, headerBytes.byteLength, true);
    out.set(headerBytes, PREAMBLE);
    const dataStart = PREAMBLE + headerBytes.byteLength;
    entries.forEach((e, i) => {
      const v = values[i] as Float32Array;
      out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), dataStart + e.offset);
    });
    return out;
  } finally {
    tf.dispose(tensors);
  }
}

function fail(message: string, file: string, offset?: number, field?: string): never {
  throw new DataError(message, {
    file,
    ...(offset !== undefined ? { offset } : {}),
    ...(field !== undefined ? { field } : {}),
  });
}

/** Parses and checks a weights file's bytes; `file` names it in errors. */
export function decodeWeights(bytes: Uint8Array, file = '<weights>'): DecodedWeights {
  assertLittleEndian();
  if (bytes.byteLength < PREAMBLE) {
    fail(`file is ${bytes.byteLength} bytes, too short for an iwlab weights file`, file, 0);
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) {
    fail(
      `not an iwlab weights file (expected magic "IWLABW1", got ${JSON.stringify(magic)})`,
      file,
      0,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const dataStart = PREAMBLE + headerLength;
  if (dataStart > bytes.byteLength) {
    fail(
      `header claims ${headerLength} bytes but the file ends at byte ${bytes.byteLength} (truncated?)`,
      file,
      MAGIC.length,
    );
  }
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREAMBLE, dataStart))) as Header;
  } catch (cause) {
    throw new DataError(`header is not valid JSON: ${(cause as Error).message}`, {
      file,
      offset: PREAMBLE,
    });
  }
  if (
    header?.format !== 'iwlab-weights' ||
    header.version !== 1 ||
    !Array.isArray(header.weights)
  ) {
    fail('header is not an iwlab-weights version 1 header', file, PREAMBLE);
  }
  let spec: ResolvedZooSpec;
  try {
    spec = parseModelSpec(header.spec, { fieldPrefix: 'spec' });
  } catch (cause) {
    const detail = cause instanceof IwlabError ? cause.message : String(cause);
    throw new DataError(
      `stored model spec is invalid: ${detail}`,
      { file, offset: PREAMBLE },
      { cause },
    );
  }
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  header.weights.forEach((e, i) => {
    const field = `weights[${i}]`;
    const count = Array.isArray(e.shape) ? e.shape.reduce((a, b) => a * b, 1) : Number.NaN;
    if (typeof e.name !== 'string' || e.dtype !== 'float32' || !Number.isInteger(count)) {
      fail('expected {name, shape, dtype: "float32", offset, length}', file, PREAMBLE, field);
    }
    if (e.length !== count * 4) {
      fail(
        `${e.name}: shape [${e.shape.join(', ')}] needs ${count * 4} bytes, header says ${e.length}`,
        file,
        PREAMBLE,
        field,
      );
    }
    const start = dataStart + e.offset;
    if (!Number.isInteger(e.offset) || e.offset < 0 || start + e.length > bytes.byteLength) {
      fail(
        `${e.name}: data runs to byte ${start + e.length} but the file has ${bytes.byteLength} bytes (truncated?)`,
        file,
        start,
        field,
      );
    }
    // Copy: the file buffer's alignment is arbitrary, Float32Array needs a multiple of 4.
    const values = new Float32Array(bytes.slice(start, start + e.length).buffer);
    weights.set(e.name, { shape: e.shape, values });
  });
  const dropoutStep = Number.isSafeInteger(header.dropoutStep) ? header.dropoutStep : 0;
  return { spec, dropoutStep, weights };
}

/** Writes decoded weights into a model of the same architecture; checks everything first. */
export function restoreWeights(model: ZooModel, decoded: DecodedWeights, file = '<weights>'): void {
  if (decoded.spec.kind !== model.spec.kind) {
    fail(
      `file holds a ${decoded.spec.kind} model, the target is ${model.spec.kind}`,
      file,
      undefined,
      'spec.kind',
    );
  }
  const current = model.getWeights();
  try {
    const ordered = model.weightNames.map((name, i) => {
      const stored = decoded.weights.get(name);
      const expected = (current[i] as tf.Tensor).shape;
      if (stored === undefined) {
        fail(
          `the file has no weight "${name}" (is it the same architecture?)`,
          file,
          undefined,
          `weights.${name}`,
        );
      }
      if (!tf.util.arraysEqual(stored.shape, expected)) {
        fail(
          `shape [${stored.shape.join(', ')}] in the file, the model needs [${expected.join(', ')}]`,
          file,
          undefined,
          `weights.${name}`,
        );
      }
      return stored;
    });
    const extra = [...decoded.weights.keys()].filter((n) => !model.weightNames.includes(n));
    if (extra.length > 0) {
      fail(`the file has weights the model lacks: ${extra.join(', ')}`, file, undefined, 'weights');
    }
    const tensors = ordered.map((w) => tf.tensor(w.values, w.shape, 'float32'));
    try {
      model.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
    model.dropoutStep = decoded.dropoutStep;
  } finally {
    tf.dispose(current);
  }
}

/**
 * Saves atomically (write-file-atomic: a flushed temporary file beside `path`, renamed over it),
 * so a crash never leaves a half-written file where a good one was. Imported when called, so the
 * module stays loadable where there is no file system.
 */
export async function saveWeights(model: ZooModel, path: string): Promise<void> {
  const { default: writeFileAtomic } = await import('write-file-atomic');
  const bytes = await encodeWeights(model);
  await writeFileAtomic(path, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

async function readFileBytes(path: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new DataError(
      `cannot read weights file: ${(cause as Error).message}`,
      { file: path },
      { cause },
    );
  }
}

/** Loads a file written by `saveWeights` into `model` (same kind and architecture). */
export async function loadWeights(model: ZooModel, path: string): Promise<void> {
  restoreWeights(model, decodeWeights(await readFileBytes(path), path), path);
}

/** Rebuilds the model the file was saved from (its stored spec) and loads its weights. */
export async function loadModel(path: string): Promise<ZooModel> {
  const decoded = decodeWeights(await readFileBytes(path), path);
  const model = createModel(decoded.spec as ZooSpec);
  try {
    restoreWeights(model, decoded, path);
  } catch (cause) {
    model.dispose();
    throw cause;
  }
  return model;
}
