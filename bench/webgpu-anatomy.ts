// Where a webgpu training step's time goes, for deciding what to make faster on a GPU machine:
//
//   node bench/dist/webgpu-anatomy.js --nets small,bl --batch 128 --steps 50 [--op-kernels]
//     [--submit-batch 15]   (Dawn options through IWLAB_DAWN_OPTIONS)
//
// Per net: GPU programs dispatched per step (by program), the CPU time to enqueue one step (tfjs
// and Dawn work in JS, no waiting), steady throughput with one read-back at the end (as the bench
// and the trainer run), the latency of a step that is waited for, and, when the adapter offers
// timestamp queries (Dawn: enable-dawn-features=allow_unsafe_apis), GPU time per kernel. If the
// enqueue time is close to the steady step time, the step is bound by the CPU's dispatch work;
// if it is far below, by the GPU. Prints a table, then one JSON line.
import { parseArgs } from 'node:util';
import { webgpuDispatchCacheStats } from '@iwlab/backend';
import * as tf from '@tensorflow/tfjs-core';
import { startBenchBackend } from './lib/backend.js';
import { profileKernels } from './lib/kernel-profile.js';
import { NET_NAMES, parseNetNames } from './lib/nets.js';
import { type BenchLoss, prepareTraining, warmUp } from './lib/train-loop.js';

const { values } = parseArgs({
  options: {
    nets: { type: 'string', default: NET_NAMES.join(',') },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '50' },
    // The dispatch cache fills over the first hundreds to thousands of steps (bind groups follow
    // tfjs's buffer pool, which can settle slowly); a long training run sees the filled state.
    warmup: { type: 'string', default: '3' },
    'op-kernels': { type: 'boolean', default: false },
    'stock-kernels': { type: 'boolean', default: false },
    'submit-batch': { type: 'string' },
    // tfjs environment flags, NAME=VALUE (numbers and true/false parsed), e.g.
    // WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false for tfjs's matmul-based input gradient.
    flag: { type: 'string', multiple: true, default: [] },
    'profile-steps': { type: 'string', default: '3' },
    // 'tfjs' for tf.losses.softmaxCrossEntropy instead of @iwlab/losses' one-kernel cross-entropy.
    loss: { type: 'string', default: 'iwlab' },
    // Kernels to unregister after start, e.g. IwlabDescentStep: their callers fall back to ops.
    without: { type: 'string', default: '' },
    top: { type: 'string', default: '12' },
  },
});

const info = await startBenchBackend('webgpu', {
  stockKernels: values['stock-kernels'],
  opKernels: values['op-kernels'],
});
for (const name of values.without.split(',').filter(Boolean)) {
  if (tf.getKernel(name, 'webgpu') === undefined) throw new Error(`--without: no kernel ${name}`);
  tf.unregisterKernel(name, 'webgpu');
}
if (values['submit-batch'] !== undefined) {
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', Number(values['submit-batch']));
}
for (const setting of values.flag) {
  const [name, raw] = setting.split('=');
  if (name === undefined || raw === undefined) throw new Error(`--flag ${setting}: use NAME=VALUE`);
  const value = raw === 'true' ? true : raw === 'false' ? false : Number(raw);
  tf.env().set(name, value);
}
const config = {
  flags: values.flag,
  details: info.details,
  opKernels: values['op-kernels'],
  submitBatch: tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'),
  dawnOptions: process.env.IWLAB_DAWN_OPTIONS ?? '',
  loss: values.loss,
  without: values.without,
};
console.log(`config ${JSON.stringify(config)}`);

/** Counts the GPU programs the webgpu backend records while `run` runs. */
async function countDispatches(run: () => Promise<void>): Promise<Map<string, number>> {
  const backend = tf.backend() as unknown as {
    runWebGPUProgram: (program: object, ...rest: unknown[]) => unknown;
  };
  const original = backend.runWebGPUProgram;
  const counts = new Map<string, number>();
  backend.runWebGPUProgram = function (this: unknown, program: object, ...rest: unknown[]) {
    const name = program.constructor.name;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return original.call(this, program, ...rest);
  };
  try {
    await run();
  } finally {
    backend.runWebGPUProgram = original;
  }
  return counts;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const fmt = (n: number, digits = 2) => n.toFixed(digits).padStart(9);

const batch = Number(values.batch);
if (values.loss !== 'iwlab' && values.loss !== 'tfjs') throw new Error('--loss: iwlab or tfjs');
const lossChoice: BenchLoss = values.loss;
const steps = Number(values.steps);
const results: Record<string, unknown>[] = [];
for (const net of parseNetNames(values.nets, '--nets')) {
  const setup = prepareTraining(net, batch, 1, lossChoice);
  const warmup = Number(values.warmup);
  await warmUp(setup.step, warmup);
  const afterWarmup = webgpuDispatchCacheStats();
  const dispatches = await countDispatches(async () => {
    const loss = setup.step(0);
    await loss.data();
    loss.dispose();
  });
  const dispatchTotal = [...dispatches.values()].reduce((a, b) => a + b, 0);

  // Steady state, as the bench and the trainer run: enqueue every step, read back once.
  const enqueueMs: number[] = [];
  let last: tf.Scalar | null = null;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    const loss = setup.step(i);
    enqueueMs.push(performance.now() - t);
    last?.dispose();
    last = loss;
  }
  await last?.data();
  last?.dispose();
  const steadyMs = (performance.now() - start) / steps;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;

  // Latency of a step that is waited for (GPU idle at the start of each).
  const syncedMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const loss = setup.step(i);
    await loss.data();
    syncedMs.push(performance.now() - t);
    loss.dispose();
  }

  // GPU time per kernel, where the adapter can say.
  const profileSteps = Number(values['profile-steps']);
  const gpu =
    info.details?.['adapter.timestampQuery'] === true && profileSteps > 0
      ? await profileKernels(setup.step, profileSteps)
      : null;
  const gpuMsPerStep = gpu === null ? null : gpu.byCall.reduce((sum, [, ms]) => sum + ms, 0);
  setup.dispose();

  const row = {
    net,
    batch,
    steps,
    dispatchesPerStep: dispatchTotal,
    dispatchesByProgram: Object.fromEntries([...dispatches].sort((a, b) => b[1] - a[1])),
    enqueueMsPerStep: enqueueMs.reduce((a, b) => a + b, 0) / steps,
    enqueueMsMedian: median(enqueueMs),
    steadyMsPerStep: steadyMs,
    examplesPerSecond: (batch * 1000) / steadyMs,
    cpuMsPerStep,
    syncedMsMedian: median(syncedMs),
    gpuMsPerStep,
    warmup,
    dispatchCacheAfterWarmup: afterWarmup,
    dispatchCache: webgpuDispatchCacheStats(),
    gpuTop: gpu?.byCall.slice(0, Number(values.top)) ?? [],
    gpuByKernelName: gpu?.byKernel ?? [],
  };
  results.push(row);
  console.log(
    `\n[${net}] batch ${batch}, ${warmup} warm-up steps: ${dispatchTotal} GPU programs per step`,
  );
  console.log(
    `  steady ${fmt(steadyMs)} ms/step (${fmt(row.examplesPerSecond, 0)} ex/s); enqueue ` +
      `${fmt(row.enqueueMsPerStep)} ms (median ${row.enqueueMsMedian.toFixed(2)}); CPU ` +
      `${fmt(cpuMsPerStep)} ms; waited-for step ${fmt(row.syncedMsMedian)} ms`,
  );
  console.log(
    `  programs: ${Object.entries(row.dispatchesByProgram)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}`,
  );
  if (row.dispatchCache !== null && afterWarmup !== null) {
    const d = row.dispatchCache;
    console.log(
      `  dispatch cache after warm-up: bind groups ${d.bindGroupHits - afterWarmup.bindGroupHits} ` +
        `hits, ${d.bindGroupMisses - afterWarmup.bindGroupMisses} misses; uniforms ` +
        `${d.uniformHits - afterWarmup.uniformHits} hits, ${d.uniformMisses - afterWarmup.uniformMisses} misses`,
    );
  }
  if (gpuMsPerStep !== null) {
    console.log(`  GPU kernel time ${fmt(gpuMsPerStep)} ms/step (timestamp queries); costliest:`);
    for (const [key, ms] of row.gpuTop) console.log(`  ${fmt(ms, 3)} ${key}`);
    console.log(
      `  by kernel: ${row.gpuByKernelName.map(([name, ms]) => `${name} ${ms.toFixed(3)}`).join(', ')}`,
    );
  }
}
console.log(JSON.stringify({ config, results }));
