import { SpecError } from '@iwlab/core';
import { RunStore } from '@iwlab/experiments';
import { describe, expect, it } from 'vitest';
import { point } from './__tests__/specs.js';
import { decodeRecord, encodeRecord, PROTOCOL_VERSION, readJobData } from './protocol.js';

describe('the queue protocol', () => {
  it('carries a run record through gzip and back unchanged', () => {
    const p = point(1);
    const store = new RunStore(':memory:');
    store.beginRun(p.id, p.spec);
    for (let epoch = 0; epoch < 200; epoch++) {
      store.recordEpoch(p.id, epoch, 'train', { loss: 1 / (epoch + 1), seconds: 0.01 });
    }
    store.recordArtifact(p.id, 3, 'boundary', { p1: [0.25, 0.5] });
    const record = store.exportRun(p.id);
    if (record === null) throw new Error('no record');
    const text = encodeRecord(record);
    expect(decodeRecord(text)).toEqual(record);
    // Repetitive epoch rows compress well: the point of gzipping records on the queue.
    expect(text.length).toBeLessThan(JSON.stringify(record).length / 3);
  });

  it("reads a job's data, and refuses another version, a malformed id or an id that is not the spec's", () => {
    const p = point(2);
    expect(readJobData({ v: PROTOCOL_VERSION, id: p.id, spec: p.spec }, 'j')).toEqual({
      v: PROTOCOL_VERSION,
      id: p.id,
      spec: p.spec,
    });
    expect(
      readJobData({ v: PROTOCOL_VERSION, id: p.id, spec: p.spec, backend: 'wasm' }, 'j').backend,
    ).toBe('wasm');
    const bad = (data: unknown) => () => readJobData(data, 'job-7');
    expect(bad({ v: 2, id: p.id, spec: p.spec })).toThrow(SpecError);
    expect(bad({ v: PROTOCOL_VERSION, id: 'x', spec: p.spec })).toThrow(/job-7/);
    expect(bad({ v: PROTOCOL_VERSION, id: point(3).id, spec: p.spec })).toThrow(
      /resolves to run [0-9a-f]{16} here, not/,
    );
    expect(bad({ v: PROTOCOL_VERSION, id: p.id, spec: { ...p.spec, epochs: -1 } })).toThrow(
      SpecError,
    );
  });
});
