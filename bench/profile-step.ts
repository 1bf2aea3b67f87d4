// Where a training step's time goes, kernel by kernel: `npx tsx profile-step.ts --net bl
// --backend wasm [--threads 1] [--steps 5]`. Times are tfjs's per-kernel timings averaged over
// the steps; a kernel built from other ops (e.g. a wasm fast kernel) includes theirs, so the
// totals count nested kernels twice. For deciding what to make faster, not for reporting speed.
import { parseArgs } from 'node:util';
import { initBackend } from '@iwlab/backend';
import type { BackendChoice } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { buildNet, NET_NAMES, type NetName } from './lib/nets.js';

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
const net = values.net as NetName;
if (!(NET_NAMES as readonly string[]).includes(net)) {
  throw new Error(`--net: unknown net "${net}"; use ${NET_NAMES.join(', ')}`);
}
const info = await initBackend(values.backend as BackendChoice, {
  ...(values.threads === undefined ? {} : { threads: Number(values.threads) }),
});
console.log(`backend ${info.name}; ${JSON.stringify(info.details)}`);

const batch = Number(values.batch);
const model = buildNet(net, 1);
const x = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const y = tf.oneHot(tf.randomUniform([batch], 0, 2, 'int32', 2) as tf.Tensor1D, 2);
const optimizer = tf.train.sgd(0.01);
const step = () =>
  optimizer.minimize(
    () => tf.losses.softmaxCrossEntropy(y, model.logits(x)) as tf.Scalar,
    true,
    model.variables,
  ) as tf.Scalar;
for (let i = 0; i < 3; i++) step().dispose();

const steps = Number(values.steps);
const byCall = new Map<string, number>();
for (let s = 0; s < steps; s++) {
  const profile = await tf.profile(() => step());
  for (const k of profile.kernels) {
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const ms = (await k.kernelTimeMs) as number;
    byCall.set(key, (byCall.get(key) ?? 0) + ms / steps);
  }
}
const byKernel = new Map<string, number>();
for (const [key, ms] of byCall) {
  const name = key.slice(0, key.indexOf(' '));
  byKernel.set(name, (byKernel.get(name) ?? 0) + ms);
}
const fmt = (ms: number) => ms.toFixed(2).padStart(8);
console.log('\nms per step, by kernel:');
for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1])) console.log(fmt(ms), name);
console.log(`\nthe ${values.top} costliest calls (kernel, input shapes):`);
for (const [key, ms] of [...byCall].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(fmt(ms), key);
}
