// One iwlab training process: `tsx train-one.ts --backend wasm --net small --steps 20 --batch 64`.
// Prints one JSON line (run.ts spawns one per core for the sweep measurement).
import { parseArgs } from 'node:util';
import { initBackend } from '@iwlab/backend';
import type { BackendChoice } from '@iwlab/core';
import type { NetName } from './lib/nets.js';
import { timeTraining } from './lib/train-loop.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    net: { type: 'string', default: 'small' },
    steps: { type: 'string', default: '20' },
    batch: { type: 'string', default: '64' },
    'stock-kernels': { type: 'boolean', default: false },
  },
});
const info = await initBackend(values.backend as BackendChoice, {
  fastKernels: !values['stock-kernels'],
});
const result = await timeTraining(
  values.net as NetName,
  Number(values.batch),
  Number(values.steps),
);
console.log(JSON.stringify({ backend: info.name, details: info.details, ...result }));
