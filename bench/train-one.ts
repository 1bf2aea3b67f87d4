// One iwlab training process: `tsx train-one.ts --backend wasm --net small --steps 20 --batch 64`
// [--threads 1].
// Prints one JSON line. With --sweep-seconds it prints READY after warm-up, waits for a line on
// stdin, then trains for that many seconds (run.ts starts one per core and releases them at once).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { BackendChoice } from '@iwlab/core';
import { startBenchBackend } from './lib/backend.js';
import { parseNetName } from './lib/nets.js';
import { timeTraining } from './lib/train-loop.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    net: { type: 'string', default: 'small' },
    steps: { type: 'string', default: '20' },
    batch: { type: 'string', default: '64' },
    'sweep-seconds': { type: 'string' },
    'stock-kernels': { type: 'boolean', default: false },
    // Also install the backend-generic (op-based) gradient rewrites, which only wasm gets by
    // default: to measure whether they pay on webgpu.
    'op-kernels': { type: 'boolean', default: false },
    // Threads for the native (oneDNN) kernels; wasm itself is single-threaded in Node.
    threads: { type: 'string' },
    warmup: { type: 'string', default: '3' },
  },
});

function waitForGo(): Promise<void> {
  console.log('READY');
  const lines = createInterface({ input: process.stdin });
  return new Promise((resolve) =>
    lines.once('line', () => {
      lines.close();
      process.stdin.destroy();
      resolve();
    }),
  );
}

const info = await startBenchBackend(values.backend as BackendChoice, {
  stockKernels: values['stock-kernels'],
  opKernels: values['op-kernels'],
  ...(values.threads === undefined ? {} : { threads: Number(values.threads) }),
});
const sweepSeconds = values['sweep-seconds'];
const result = await timeTraining(parseNetName(values.net, '--net'), Number(values.batch), {
  steps: Number(values.steps),
  warmup: Number(values.warmup),
  ...(sweepSeconds === undefined ? {} : { seconds: Number(sweepSeconds), ready: waitForGo }),
});
console.log(JSON.stringify({ backend: info.name, details: info.details, ...result }));
