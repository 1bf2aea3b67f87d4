// Child process of the process-kill test: trains `killableRunOptions` with checkpoints, prints a
// line per checkpoint, and slows down from epoch 3 on so the parent can kill it mid-epoch.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { train } from '../train.js';
import { killableRunOptions } from './helpers.js';

await tf.setBackend('cpu');
const dir = process.argv[2] as string;
await train({
  ...killableRunOptions(dir),
  callbacks: {
    onCheckpoint: (e) => void process.stdout.write(`checkpoint ${e.epoch}\n`),
    onBatchEnd: async (e) => {
      if (e.epoch >= 3) await new Promise((resolve) => setTimeout(resolve, 200));
    },
  },
});
process.stdout.write('finished\n');
