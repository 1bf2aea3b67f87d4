// The dispatch cache's bookkeeping, on a stand-in for tfjs-webgpu's backend and Dawn's device (no
// GPU needed). That it gives the same numbers on a real adapter is in src/webgpu.test.ts.
import { describe, expect, it } from 'vitest';
import {
  installDispatchCache,
  uniformHash,
  type WebgpuBackendInternals,
} from './webgpu-dispatch.js';

function standIn() {
  const created = { bindGroups: 0, layouts: 0, uniforms: 0, stockUploads: 0 };
  const writes: { buffer: object; data: ArrayBufferView }[] = [];
  const tensors = new Map<
    object,
    { values: unknown; dtype: string; shape: number[]; resource: unknown }
  >();
  const pipeline = () => ({
    getBindGroupLayout: (_index: number) => {
      created.layouts++;
      return { layout: created.layouts };
    },
  });
  const device = {
    createBindGroup: (descriptor: object) => {
      created.bindGroups++;
      return { group: created.bindGroups, descriptor };
    },
    createComputePipeline: (_descriptor: unknown) => pipeline(),
    createComputePipelineAsync: async (_descriptor: unknown) => pipeline(),
  };
  const backend: WebgpuBackendInternals = {
    device,
    queue: { writeBuffer: (buffer, _offset, data) => writes.push({ buffer, data }) },
    bufferManager: { acquireBuffer: (size, usage) => ({ size, usage }) },
    tensorMap: { get: (dataId) => tensors.get(dataId) },
    uploadToGPU(dataId) {
      created.stockUploads++;
      const data = tensors.get(dataId);
      if (data !== undefined) data.resource ??= { stock: true };
    },
    pipelineCache: { early: pipeline() },
    uniformPendingDisposal: [],
    makeUniforms(fields) {
      created.uniforms++;
      const buffer = { size: 4 * fields.length, id: created.uniforms };
      this.uniformPendingDisposal.push(buffer);
      return { offset: 0, size: buffer.size, buffer };
    },
  };
  return { backend, device, created, writes, tensors };
}

const buffer = (size = 64) => ({ size });
const bind = (...resources: unknown[]) =>
  resources.map((resource, binding) => ({ binding, resource }));

describe('webgpu dispatch cache', () => {
  it('gives every pipeline one bind group layout object, including pipelines made earlier', async () => {
    const { backend, device, created } = standIn();
    installDispatchCache(backend);
    const early = backend.pipelineCache.early as ReturnType<typeof device.createComputePipeline>;
    expect(early.getBindGroupLayout(0)).toBe(early.getBindGroupLayout(0));
    const later = device.createComputePipeline({});
    expect(later.getBindGroupLayout(0)).toBe(later.getBindGroupLayout(0));
    expect(later.getBindGroupLayout(0)).not.toBe(early.getBindGroupLayout(0));
    const asynchronous = await device.createComputePipelineAsync({});
    expect(asynchronous.getBindGroupLayout(0)).toBe(asynchronous.getBindGroupLayout(0));
    expect(created.layouts).toBe(3);
  });

  it('reuses a bind group only for the same layout and the very same buffers', () => {
    const { backend, device, created } = standIn();
    const stats = installDispatchCache(backend);
    const layout = {};
    const [a, b, c] = [buffer(), buffer(), buffer()];
    const first = device.createBindGroup({ layout, entries: bind({ buffer: a }, { buffer: b }) });
    expect(device.createBindGroup({ layout, entries: bind({ buffer: a }, { buffer: b }) })).toBe(
      first,
    );
    // Another buffer, another order, another layout, a longer list: new groups.
    const others = [
      { layout, entries: bind({ buffer: a }, { buffer: c }) },
      { layout, entries: bind({ buffer: b }, { buffer: a }) },
      { layout: {}, entries: bind({ buffer: a }, { buffer: b }) },
      { layout, entries: bind({ buffer: a }, { buffer: b }, { buffer: c }) },
    ];
    for (const descriptor of others) expect(device.createBindGroup(descriptor)).not.toBe(first);
    expect(created.bindGroups).toBe(5);
    expect(stats).toMatchObject({ bindGroupHits: 1, bindGroupMisses: 5, bindGroupUncached: 0 });
  });

  it('leaves offsets, partial ranges and non-buffer resources to Dawn every time', () => {
    const { backend, device, created } = standIn();
    const stats = installDispatchCache(backend);
    const layout = {};
    const a = buffer(64);
    const uncached = [
      bind({ buffer: a, offset: 16 }),
      bind({ buffer: a, offset: 0, size: 32 }),
      bind({ textureView: 1 }),
      [{ binding: 1, resource: { buffer: a } }],
    ];
    for (const entries of uncached) {
      device.createBindGroup({ layout, entries });
      device.createBindGroup({ layout, entries });
    }
    expect(created.bindGroups).toBe(8);
    expect(stats.bindGroupUncached).toBe(8);
    // A whole-buffer range spelled out is the same binding as none.
    const whole = device.createBindGroup({
      layout,
      entries: bind({ buffer: a, offset: 0, size: 64 }),
    });
    expect(device.createBindGroup({ layout, entries: bind({ buffer: a }) })).toBe(whole);
  });

  it('writes each distinct uniform content once and keeps that buffer out of the release list', () => {
    const { backend, created } = standIn();
    const stats = installDispatchCache(backend);
    const fields = (n: number) => [
      { type: 'float32', data: [Number.NaN] },
      { type: 'int32', data: [n, 3] },
    ];
    const first = backend.makeUniforms(fields(2));
    expect(backend.uniformPendingDisposal).toEqual([]);
    expect(backend.makeUniforms(fields(2))).toBe(first);
    const other = backend.makeUniforms(fields(5));
    expect(other.buffer).not.toBe(first.buffer);
    // Same numbers under another type are other bytes.
    const asFloat = backend.makeUniforms([
      { type: 'float32', data: [Number.NaN] },
      { type: 'float32', data: [2, 3] },
    ]);
    expect(asFloat.buffer).not.toBe(first.buffer);
    expect(created.uniforms).toBe(3);
    expect(stats).toMatchObject({ uniformHits: 1, uniformMisses: 3 });
  });

  it('keeps apart contents whose hashes collide', () => {
    // A 32-bit hash collides within a few hundred thousand contents: find two (birthday search).
    const seen = new Map<number, number[]>();
    let pair: [number[], number[]] | null = null;
    let state = 12345;
    for (let i = 0; i < 400_000 && pair === null; i++) {
      state = (Math.imul(state, 1103515245) + 12345) | 0;
      const data = [i, state];
      const hash = uniformHash([{ type: 'int32', data }]);
      const earlier = seen.get(hash);
      if (earlier === undefined) seen.set(hash, data);
      else pair = [earlier, data];
    }
    expect(pair).not.toBeNull();
    const [a, b] = pair as [number[], number[]];
    const { backend, created } = standIn();
    installDispatchCache(backend);
    const first = backend.makeUniforms([{ type: 'int32', data: a }]);
    const second = backend.makeUniforms([{ type: 'int32', data: b }]);
    expect(second.buffer).not.toBe(first.buffer);
    expect(backend.makeUniforms([{ type: 'int32', data: [...a] }])).toBe(first);
    expect(backend.makeUniforms([{ type: 'int32', data: [...b] }])).toBe(second);
    expect(created.uniforms).toBe(2);
  });

  it('installs once per backend and fails loudly on a backend it does not know', () => {
    const { backend, device } = standIn();
    const stats = installDispatchCache(backend);
    const wrapped = device.createBindGroup;
    expect(installDispatchCache(backend)).toBe(stats);
    expect(device.createBindGroup).toBe(wrapped);
    const broken = {
      ...standIn().backend,
      makeUniforms: undefined,
    } as unknown as WebgpuBackendInternals;
    expect(() => installDispatchCache(broken)).toThrow(/makeUniforms/);
  });

  it('writes CPU tensors to a pooled buffer in one queue.writeBuffer (bool as int32)', () => {
    const { backend, created, writes, tensors } = standIn();
    const stats = installDispatchCache(backend);
    const floats = new Float32Array([1.5, -2]);
    const cases = {
      f: { values: floats, dtype: 'float32', shape: [2], resource: null },
      b: { values: new Uint8Array([1, 0, 1]), dtype: 'bool', shape: [3], resource: null },
      // Left to tfjs: already on the GPU, not numbers, empty.
      onGpu: { values: null, dtype: 'float32', shape: [2], resource: { gpu: true } },
      s: { values: ['a'], dtype: 'string', shape: [1], resource: null },
      empty: { values: new Float32Array(0), dtype: 'float32', shape: [0], resource: null },
    };
    const ids = Object.fromEntries(Object.keys(cases).map((k) => [k, { id: k }]));
    for (const [k, data] of Object.entries(cases)) tensors.set(ids[k] as object, data);
    for (const id of Object.values(ids)) backend.uploadToGPU(id);
    expect(writes.map((w) => w.data)).toEqual([floats, new Int32Array([1, 0, 1])]);
    expect(writes[0]?.data).toBe(floats);
    expect(cases.f.resource).toEqual({ size: 8, usage: 0x80 | 0x4 | 0x8 });
    expect(cases.f.values).toBeNull();
    expect(cases.b.resource).toBe(writes[1]?.buffer);
    expect(created.stockUploads).toBe(3);
    expect(stats.uploads).toBe(2);
  });
});
