// Cheaper GPU program dispatches for @tensorflow/tfjs-backend-webgpu 4.22.0. A training step is
// 77 (small CNN) to 128 (B&L CNN) dispatches with tfjs's kernels, and in Node each one cost ~45 us
// of CPU, engine included, on Dawn's null backend (which executes nothing): 3.7 and 5.7 ms per
// step on the 2-core development machine, a ceiling of 35k and 22k examples/s at batch 128
// whatever the GPU. Per dispatch tfjs creates a bind group (~13 us in Dawn's node
// bindings), fetches the pipeline's bind group layout (~2 us, a new object every call) and writes
// the program's uniforms into a pooled buffer. In training the same programs run on the same
// shapes every step, and tfjs's buffer pool hands out the same buffers in the same order, so
// all three are the same from one step to the next. This caches them:
// - uniforms by content: a buffer is written once and kept (tfjs would release and rewrite it);
// - bind group layouts per pipeline;
// - bind groups per (layout, buffers), in WeakMaps keyed by the buffer objects, so a cached group
//   never outlives what it binds from JS's side, and is found only for the very same buffers.
// Anything unusual (textures, offsets, partial ranges) takes tfjs's own path unchanged.
//
// Also: tensors made on the CPU (the scalars and small constants that losses and gradients create,
// 5-6 per step) reach the GPU through a new mapped staging buffer and a copy, which also ends the
// compute pass. queue.writeBuffer does the same in one call: it runs before any later submit, and a
// pooled buffer is never still in use by unsubmitted work (tfjs releases those after the submit).
import * as tf from '@tensorflow/tfjs-core';

/** What tfjs passes as a bind group entry's resource when it binds a buffer. */
interface BufferBinding {
  readonly buffer: object;
  readonly offset?: number;
  readonly size?: number;
}

interface BindGroupDescriptor {
  readonly layout: object;
  readonly entries: readonly { readonly binding: number; readonly resource: unknown }[];
}

interface Pipeline {
  getBindGroupLayout(index: number): object;
}

interface Device {
  createBindGroup(descriptor: BindGroupDescriptor): object;
  createComputePipeline(descriptor: unknown): Pipeline;
  createComputePipelineAsync(descriptor: unknown): Promise<Pipeline>;
}

interface Queue {
  writeBuffer(buffer: object, offset: number, data: ArrayBufferView): void;
}

interface BufferPool {
  acquireBuffer(size: number, usage: number): object;
}

interface TensorData {
  values: unknown;
  dtype: string;
  shape: number[];
  resource: unknown;
}

interface UniformField {
  readonly type: string;
  readonly data: readonly number[];
}

/** The parts of tfjs-webgpu's backend this works through. */
export interface WebgpuBackendInternals {
  readonly device: Device;
  readonly queue: Queue;
  readonly bufferManager: BufferPool;
  readonly tensorMap: { get(dataId: object): TensorData | undefined };
  uploadToGPU(dataId: object): void;
  readonly pipelineCache: Record<string, Pipeline | Promise<Pipeline>>;
  uniformPendingDisposal: object[];
  makeUniforms(fields: UniformField[]): BufferBinding;
}

/** Uniform contents kept at most; a training run has a few hundred distinct ones. */
const MAX_UNIFORMS = 4096;
/** Bind groups kept at most before the cache starts over (a run needs a few hundred). */
const MAX_BIND_GROUPS = 65536;

export interface DispatchCacheStats {
  uniformHits: number;
  uniformMisses: number;
  bindGroupHits: number;
  bindGroupMisses: number;
  /** Bind groups that could not be cached (textures, offsets, partial ranges). */
  bindGroupUncached: number;
  /** CPU tensors written to the GPU with queue.writeBuffer. */
  uploads: number;
}

interface TrieNode {
  next: WeakMap<object, TrieNode>;
  group?: object;
}

const memoized = new WeakSet<object>();
const installed = new WeakMap<object, DispatchCacheStats>();
/** Uniform bindings this cache keeps: whole buffers by construction, so never re-checked. */
const keptUniforms = new WeakSet<object>();

/** The hit counters of the cache on the registered webgpu backend; null if it has none. */
export function webgpuDispatchCacheStats(): DispatchCacheStats | null {
  const backend = tf.findBackend('webgpu');
  const stats = backend === null ? undefined : installed.get(backend);
  return stats === undefined ? null : { ...stats };
}

/**
 * Installs the caches on a webgpu backend instance (idempotent). Returns live hit counters.
 * Throws if the backend lacks a method this relies on, so a tfjs upgrade that changes them
 * fails loudly at start rather than silently.
 */
export function installDispatchCache(backend: WebgpuBackendInternals): DispatchCacheStats {
  const existing = installed.get(backend);
  if (existing !== undefined) return existing;
  const stats: DispatchCacheStats = {
    uniformHits: 0,
    uniformMisses: 0,
    bindGroupHits: 0,
    bindGroupMisses: 0,
    bindGroupUncached: 0,
    uploads: 0,
  };
  const { device } = backend;
  for (const method of ['createBindGroup', 'createComputePipeline'] as const) {
    if (typeof device[method] !== 'function') {
      throw new Error(`webgpu dispatch cache: the GPU device has no ${method}`);
    }
  }
  if (
    typeof backend.makeUniforms !== 'function' ||
    !Array.isArray(backend.uniformPendingDisposal)
  ) {
    throw new Error('webgpu dispatch cache: this tfjs-backend-webgpu has no makeUniforms');
  }
  installed.set(backend, stats);

  const memoizeLayouts = (pipeline: Pipeline): Pipeline => {
    if (memoized.has(pipeline)) return pipeline;
    memoized.add(pipeline);
    const layoutOf = pipeline.getBindGroupLayout.bind(pipeline);
    const layouts = new Map<number, object>();
    pipeline.getBindGroupLayout = (index) => {
      let layout = layouts.get(index);
      if (layout === undefined) {
        layout = layoutOf(index);
        layouts.set(index, layout);
      }
      return layout;
    };
    return pipeline;
  };
  for (const pipeline of Object.values(backend.pipelineCache)) {
    if (!(pipeline instanceof Promise)) memoizeLayouts(pipeline);
  }
  const createPipeline = device.createComputePipeline.bind(device);
  device.createComputePipeline = (descriptor) => memoizeLayouts(createPipeline(descriptor));
  if (typeof device.createComputePipelineAsync === 'function') {
    const createAsync = device.createComputePipelineAsync.bind(device);
    device.createComputePipelineAsync = async (descriptor) =>
      memoizeLayouts(await createAsync(descriptor));
  }

  let groups = new WeakMap<object, TrieNode>();
  let groupCount = 0;
  const createBindGroup = device.createBindGroup.bind(device);
  device.createBindGroup = (descriptor) => {
    let node = groups.get(descriptor.layout);
    if (node === undefined) {
      node = { next: new WeakMap() };
      groups.set(descriptor.layout, node);
    }
    const { entries } = descriptor;
    // An indexed loop: this runs for every dispatch, and an entries() iterator allocates.
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as (typeof entries)[number];
      const buffer = keptUniforms.has(entry.resource as object)
        ? (entry.resource as BufferBinding).buffer
        : wholeBuffer(entry.resource);
      if (buffer === null || entry.binding !== i) {
        stats.bindGroupUncached++;
        return createBindGroup(descriptor);
      }
      let child = node.next.get(buffer);
      if (child === undefined) {
        child = { next: new WeakMap() };
        node.next.set(buffer, child);
      }
      node = child;
    }
    if (node.group !== undefined) {
      stats.bindGroupHits++;
      return node.group;
    }
    stats.bindGroupMisses++;
    if (groupCount >= MAX_BIND_GROUPS) {
      groups = new WeakMap();
      groupCount = 0;
    }
    const group = createBindGroup(descriptor);
    node.group = group;
    groupCount++;
    return group;
  };

  const makeUniforms = backend.makeUniforms.bind(backend);
  // By a hash of the contents, each bucket checked value by value: no key string to build.
  const uniforms = new Map<number, { fields: UniformField[]; binding: BufferBinding }[]>();
  let uniformCount = 0;
  backend.makeUniforms = (fields) => {
    const hash = uniformHash(fields);
    const bucket = uniforms.get(hash);
    const kept = bucket?.find((entry) => sameFields(entry.fields, fields));
    if (kept !== undefined) {
      stats.uniformHits++;
      return kept.binding;
    }
    stats.uniformMisses++;
    // Copied before tfjs's makeUniforms, which rewrites empty fields as [1].
    const copy = fields.map((f) => ({ type: f.type, data: [...f.data] }));
    const binding = makeUniforms(fields);
    if (uniformCount >= MAX_UNIFORMS) return binding;
    // tfjs queued the buffer for release after the next submit, to be rewritten by a later
    // dispatch. Taking it off that list keeps it, with these contents, for every later dispatch.
    const pending = backend.uniformPendingDisposal;
    const at = pending.lastIndexOf(binding.buffer);
    if (at < 0) return binding;
    pending.splice(at, 1);
    if (bucket === undefined) uniforms.set(hash, [{ fields: copy, binding }]);
    else bucket.push({ fields: copy, binding });
    uniformCount++;
    keptUniforms.add(binding);
    return binding;
  };
  const upload = backend.uploadToGPU.bind(backend);
  const usage = STORAGE | COPY_SRC | COPY_DST;
  backend.uploadToGPU = (dataId) => {
    const data = backend.tensorMap.get(dataId);
    const words = data === undefined ? null : wordsOf(data);
    if (data === undefined || data.resource != null || words === null || words.length === 0) {
      upload(dataId);
      return;
    }
    const buffer = backend.bufferManager.acquireBuffer(words.byteLength, usage);
    backend.queue.writeBuffer(buffer, 0, words);
    data.resource = buffer;
    // As tfjs does: once on the GPU, the values are not kept on the CPU.
    data.values = null;
    stats.uploads++;
  };
  return stats;
}

// WebGPU's GPUBufferUsage bits (fixed by the spec), as tfjs uses for tensor buffers.
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;

/** A CPU tensor's values as the 32-bit words tfjs keeps on the GPU (bool as int32); else null. */
function wordsOf(data: TensorData): Float32Array | Int32Array | null {
  const { values, dtype } = data;
  if (!ArrayBuffer.isView(values) || values instanceof DataView) return null;
  if (dtype === 'float32') {
    return values instanceof Float32Array ? values : Float32Array.from(values as Float32Array);
  }
  if (dtype === 'int32' || dtype === 'bool') {
    return values instanceof Int32Array ? values : Int32Array.from(values as Int32Array);
  }
  return null;
}

/** The buffer of a binding that covers a whole buffer from offset 0; null for anything else. */
function wholeBuffer(resource: unknown): object | null {
  if (typeof resource !== 'object' || resource === null || !('buffer' in resource)) return null;
  const { buffer, offset, size } = resource as BufferBinding;
  if (typeof buffer !== 'object' || buffer === null) return null;
  if (offset !== undefined && offset !== 0) return null;
  if (size !== undefined && size !== (buffer as { size?: number }).size) return null;
  return buffer;
}

const float64 = new Float64Array(1);
const float64Words = new Int32Array(float64.buffer);
const FNV_PRIME = 0x01000193;

/** FNV-1a over the fields' type letters, lengths and values (integers as is, others by their bits). */
export function uniformHash(fields: readonly UniformField[]): number {
  let h = 0x811c9dc5 | 0;
  for (const field of fields) {
    const { data } = field;
    h = Math.imul(h ^ field.type.charCodeAt(0), FNV_PRIME);
    h = Math.imul(h ^ data.length, FNV_PRIME);
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if ((v | 0) === v) {
        h = Math.imul(h ^ v, FNV_PRIME);
      } else {
        float64[0] = v;
        h = Math.imul(h ^ (float64Words[0] as number), FNV_PRIME);
        h = Math.imul(h ^ (float64Words[1] as number), FNV_PRIME);
      }
    }
  }
  return h;
}

/** Same types and values (NaN equal to NaN: tfjs's first uniform is NaN). */
function sameFields(a: readonly UniformField[], b: readonly UniformField[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as UniformField;
    const y = b[i] as UniformField;
    if (x.type !== y.type || x.data.length !== y.data.length) return false;
    for (let j = 0; j < x.data.length; j++) if (!Object.is(x.data[j], y.data[j])) return false;
  }
  return true;
}
