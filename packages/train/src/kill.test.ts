// A run killed with SIGKILL (no chance to clean up) leaves a checkpoint from which `resume`
// reproduces the uninterrupted run exactly.
import '@tensorflow/tfjs-backend-cpu';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { killableRunOptions } from './__tests__/helpers.js';
import { readCheckpointMeta } from './checkpoint.js';
import { train } from './train.js';
import type { EpochRecord } from './types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const metricsOf = (history: readonly EpochRecord[]) =>
  history.map(({ seconds: _seconds, ...rest }) => rest);

/** Starts the child run and SIGKILLs it in the middle of epoch 3; resolves once it is dead. */
function runAndKill(dir: string): Promise<string> {
  const script = fileURLToPath(new URL('./__tests__/child-train.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Epoch index 2's checkpoint is on disk; epoch 3 now crawls at 200 ms a step.
      if (out.includes('checkpoint 2\n')) setTimeout(() => child.kill('SIGKILL'), 300);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`child exited with ${code} before it was killed:\n${out}\n${err}`));
    });
  });
}

describe('resume after the process is killed', () => {
  it('continues from the last checkpoint and matches an uninterrupted run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'iwlab-kill-'));
    const printed = await runAndKill(dir);
    expect(printed).not.toContain('finished');
    expect((await readCheckpointMeta(dir)).epochsCompleted).toBe(3);
    // No half-written temporary file is mistaken for a checkpoint.
    expect((await readdir(dir)).filter((f) => !f.startsWith('.'))).toEqual([
      'checkpoint.iwckpt',
      'history.jsonl',
    ]);

    const resumedOptions = { ...killableRunOptions(dir), resume: true };
    const resumed = await train(resumedOptions);
    const referenceOptions = killableRunOptions(await mkdtemp(join(tmpdir(), 'iwlab-kill-ref-')));
    const reference = await train(referenceOptions);
    expect(resumed.resumedEpochs).toBe(3);
    expect(resumed.status).toBe('done');
    expect(metricsOf(resumed.history)).toEqual(metricsOf(reference.history));
    resumedOptions.model.dispose();
    referenceOptions.model.dispose();
  });
});
