import { SpecError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { runQueuedSweep } from './sweep.js';
import { startQueueWorker } from './worker.js';

describe('startQueueWorker', () => {
  it('refuses bad settings by name before it connects anywhere', async () => {
    const base = { queue: { url: 'redis://127.0.0.1:1' }, workDir: '/nonexistent' };
    await expect(startQueueWorker({ ...base, jobs: -1 })).rejects.toThrow(SpecError);
    await expect(startQueueWorker({ ...base, jobs: 1.5 })).rejects.toThrow(/integer >= 0/);
    await expect(startQueueWorker({ ...base, lockSeconds: 0 })).rejects.toThrow(
      /at least 1 second/,
    );
    // Good settings get as far as the queue, which is not there.
    await expect(startQueueWorker(base)).rejects.toThrow(/cannot reach the queue/);
  });
});

describe('runQueuedSweep', () => {
  it('refuses a poll interval that is not positive, before it connects anywhere', async () => {
    const options = { db: ':memory:', queue: { url: 'redis://127.0.0.1:1' } };
    await expect(runQueuedSweep([], { ...options, pollSeconds: 0 })).rejects.toThrow(SpecError);
    await expect(runQueuedSweep([], options)).rejects.toThrow(/cannot reach the queue/);
  });
});
