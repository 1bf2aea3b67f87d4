// Child process of a trial pool (pool.ts): receives runs over IPC, runs each against the shared store, replies
// with the outcome. One backend per process (the first run's choice). SIGINT stops the current
// run between steps; it stays 'running' in the store and resumes from its checkpoint next time.
import * as tf from '@tensorflow/tfjs-core';
import type { WorkerReply, WorkerRequest } from './pool.js';
import { runExperiment } from './runner.js';
import { RunStore } from './store.js';

// Our own process: silence tfjs's once-per-process "install tfjs-node" banner in the CLI output.
tf.env().set('PROD', true);
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
const stores = new Map<string, RunStore>();
const reply = (message: WorkerReply) => process.send?.(message);

process.on('message', (request: WorkerRequest) => {
  void (async () => {
    let store = stores.get(request.db);
    if (store === undefined) {
      store = new RunStore(request.db);
      stores.set(request.db, store);
    }
    const outcome = await runExperiment(request.spec, {
      store,
      checkpointDir: request.checkpointDir,
      signal: controller.signal,
      ...(request.dataDir === undefined ? {} : { dataDir: request.dataDir }),
      ...(request.backend === undefined ? {} : { backend: request.backend }),
      onEpoch: (e) => reply({ kind: 'epoch', ...e }),
    });
    reply({ kind: 'done', outcome });
  })().catch((error: unknown) => {
    process.stderr.write(`iwlab worker: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
});
process.on('disconnect', () => {
  for (const store of stores.values()) store.close();
});
