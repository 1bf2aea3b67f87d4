// One self-describing file per checkpoint: magic, a JSON header (metadata + tensor table), then
// the raw tensor bytes. One file means one rename makes a checkpoint appear whole or not at all.
//
//   bytes 0..7   "IWCKPT01"
//   bytes 8..11  header length H, uint32 little-endian
//   bytes 12..   H bytes of UTF-8 JSON: { meta, tensors: [{ name, dtype, shape, offset, byteLength }] }
//   then         tensor data, offsets relative to byte 12 + H
import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DataError, SpecError } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import writeFileAtomic from 'write-file-atomic';

const MAGIC = 'IWCKPT01';
const PREFIX_BYTES = 12;

type StoredDtype = 'float32' | 'int32' | 'bool';

interface TensorEntry {
  readonly name: string;
  readonly dtype: StoredDtype;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly byteLength: number;
}

export interface CheckpointFileContents<M> {
  readonly meta: M;
  /** Tensors by name, created on the current backend; the caller disposes them. */
  readonly tensors: Map<string, tf.Tensor>;
}

// JSON has no NaN/Infinity; metrics can be NaN (an empty class) and must survive a resume exactly.
const NON_FINITE = '$nonFinite';
export function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value)
    ? { [NON_FINITE]: String(value) }
    : value;
}
export function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && NON_FINITE in value) {
    return Number((value as Record<string, string>)[NON_FINITE]);
  }
  return value;
}

function bytesOf(data: tf.TypedArray, dtype: StoredDtype): Uint8Array {
  if (dtype === 'bool') return Uint8Array.from(data as ArrayLike<number>);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Writes `meta` and `tensors` to `path` atomically: a temporary file in the same directory is
 * written and fsynced, then renamed over `path`. A crash leaves the previous checkpoint intact.
 */
export async function writeCheckpointFile(
  path: string,
  meta: unknown,
  tensors: readonly (readonly [string, tf.Tensor])[],
): Promise<void> {
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const dtype = tensor.dtype;
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
      throw new SpecError(`cannot checkpoint a ${dtype} tensor`, { field: name });
    }
    const bytes = bytesOf(await tensor.data(), dtype);
    entries.push({ name, dtype, shape: tensor.shape, offset, byteLength: bytes.byteLength });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const header = Buffer.from(JSON.stringify({ meta, tensors: entries }, replacer), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.byteLength, 8);

  await writeFileAtomic(path, Buffer.concat([prefix, header, ...chunks]));
  // Persist the rename itself; not every platform lets a directory be fsynced, which is fine.
  try {
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {}
}

const SIZES: Record<StoredDtype, number> = { float32: 4, int32: 4, bool: 1 };

function checkEntry(entry: TensorEntry, index: number, dataBytes: number, file: string): void {
  const field = `tensors[${index}]`;
  if (typeof entry.name !== 'string' || !(entry.dtype in SIZES) || !Array.isArray(entry.shape)) {
    throw new DataError('tensor entry needs a name, a dtype (float32/int32/bool) and a shape', {
      file,
      field,
    });
  }
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(count) || count * SIZES[entry.dtype] !== entry.byteLength) {
    throw new DataError(
      `tensor "${entry.name}" of shape [${entry.shape}] and dtype ${entry.dtype} cannot have ${entry.byteLength} bytes`,
      { file, field },
    );
  }
  if (
    !Number.isInteger(entry.offset) ||
    entry.offset < 0 ||
    entry.offset + entry.byteLength > dataBytes
  ) {
    throw new DataError(
      `tensor "${entry.name}" needs bytes ${entry.offset}..${entry.offset + entry.byteLength} of the data section, which has ${dataBytes}: the file is truncated`,
      { file, offset: PREFIX_BYTES, field },
    );
  }
}

/** Reads a file written by `writeCheckpointFile`, naming the byte offset of any corruption. */
export async function readCheckpointFile<M>(path: string): Promise<CheckpointFileContents<M>> {
  const buf = await readFile(path);
  if (buf.byteLength < PREFIX_BYTES || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw new DataError(`not an iwlab checkpoint: expected the magic bytes "${MAGIC}"`, {
      file: path,
      offset: 0,
    });
  }
  const headerBytes = buf.readUInt32LE(8);
  if (PREFIX_BYTES + headerBytes > buf.byteLength) {
    throw new DataError(
      `header claims ${headerBytes} bytes but the file has ${buf.byteLength - PREFIX_BYTES} after the prefix: the file is truncated`,
      { file: path, offset: 8 },
    );
  }
  let header: { meta: M; tensors: TensorEntry[] };
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes), reviver);
  } catch (error) {
    throw new DataError(
      'the JSON header does not parse',
      { file: path, offset: PREFIX_BYTES },
      {
        cause: error,
      },
    );
  }
  if (!Array.isArray(header?.tensors)) {
    throw new DataError('the header has no tensor table', { file: path, field: 'tensors' });
  }
  const dataStart = PREFIX_BYTES + headerBytes;
  const dataBytes = buf.byteLength - dataStart;
  header.tensors.forEach((entry, i) => {
    checkEntry(entry, i, dataBytes, path);
  });
  const tensors = new Map<string, tf.Tensor>();
  for (const entry of header.tensors) {
    // Copy out of the file buffer: typed arrays need aligned offsets.
    const bytes = buf.subarray(
      dataStart + entry.offset,
      dataStart + entry.offset + entry.byteLength,
    );
    const copy = new Uint8Array(bytes);
    const values =
      entry.dtype === 'float32'
        ? new Float32Array(copy.buffer)
        : entry.dtype === 'int32'
          ? new Int32Array(copy.buffer)
          : copy;
    tensors.set(entry.name, tf.tensor(values, [...entry.shape], entry.dtype));
  }
  return { meta: header.meta, tensors };
}
