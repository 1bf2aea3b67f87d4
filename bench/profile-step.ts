// Where a training step's time goes, kernel by kernel: `npx tsx profile-step.ts --net bl
// --backend wasm [--threads 1] [--steps 5]`. Times are tfjs's per-kernel timings averaged over
// the steps; a kernel built from other ops (e.g. a wasm fast kernel) includes theirs, so the
// totals count nested kernels twice. For deciding what to make faster, not for reporting speed.
import { parseArgs } from 'node:util';
import type { BackendChoice } from '@iwlab/core';
import { startBenchBackend } from './lib/backend.js';
import { profileKernels } from './lib/kernel-profile.js';
import { parseNetName } from './lib/nets.js';
import { prepareTraining } from './lib/train-loop.js';

const { values } = parseArgs({
  options: {
    net: { type: 'string', default: 'bl' },
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '5' },
    top: { type: 'string', default: '25' },
  },
});
const net = parseNetName(values.net, '--net');
const info = await startBenchBackend(values.backend as BackendChoice, {
  ...(values.threads === undefined ? {} : { threads: Number(values.threads) }),
});
console.log(`backend ${info.name}; ${JSON.stringify(info.details)}`);

const setup = prepareTraining(net, Number(values.batch));
for (let i = 0; i < 3; i++) setup.step(i).dispose();

const { byCall, byKernel } = await profileKernels(setup.step, Number(values.steps));
setup.dispose();
const fmt = (ms: number) => ms.toFixed(2).padStart(8);
console.log('\nms per step, by kernel:');
for (const [name, ms] of byKernel) console.log(fmt(ms), name);
console.log(`\nthe ${values.top} costliest calls (kernel, input shapes):`);
for (const [key, ms] of byCall.slice(0, Number(values.top))) console.log(fmt(ms), key);
