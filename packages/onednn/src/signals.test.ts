// oneDNN 2.x's JIT GEMM kernels point the stack pointer into a heap workspace while they run
// (oneDNN issue #4845): a signal handled meanwhile wrote its frame over the heap, and the process
// aborted in malloc. Node handles signals in real runs (SIGINT in sweep workers, SIGWINCH on a
// terminal, SIGPROF under --cpu-prof), so this runs the GEMM-based kernels in a child process that
// handles SIGUSR2 while one of its threads sends it every ~0.1 ms. Before the add-on deferred
// signals during its calls, such a child died (SIGABRT or SIGSEGV) within 1.5 s in 6 of 6 tries.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadBinding } from './internal/binding.js';

const binding = loadBinding();
const run = binding.ok || process.env.IWLAB_ONEDNN_REQUIRED === '1';
if (!run && !binding.ok) console.warn(`@iwlab/onednn signal test skipped: ${binding.reason}`);

// CommonJS for `node -e`: argv[1] is the add-on, argv[2] how long to run (ms).
const CHILD = `
const { Worker } = require('node:worker_threads');
const addon = require(process.argv[1]);
// One thread, as @iwlab/backend runs it: OpenMP threads spinning for a core that the other test
// processes hold made a 2-thread child crawl on a busy 2-core machine.
addon.setThreads(1);
let handled = 0;
process.on('SIGUSR2', () => { handled++; });
const stop = new Int32Array(new SharedArrayBuffer(4));
const sender = new Worker(\`
  const { parentPort, workerData: stop } = require('node:worker_threads');
  const nap = new Int32Array(new SharedArrayBuffer(4));
  let sent = 0;
  while (Atomics.load(stop, 0) === 0) {
    process.kill(process.pid, 'SIGUSR2');
    sent++;
    Atomics.wait(nap, 0, 0, 0.1);
  }
  parentPort.postMessage(sent);\`, { eval: true, workerData: stop });
// dnnl_sgemm, as the dense layers use it: [16 x 3072] x [3072 x 64] of ones.
const a = new Float32Array(16 * 3072).fill(1), w = new Float32Array(3072 * 64).fill(1);
const out = new Float32Array(16 * 64);
// The filter gradient of a 3-channel layer, which oneDNN computes with its GEMM kernels:
// x [16,32,32,3], dy [16,30,30,32], 3x3 'valid' (the geometry fields of native/onednn.cc).
const g = Int32Array.from([16, 32, 32, 3, 30, 30, 32, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0]);
const x = new Float32Array(16 * 32 * 32 * 3).fill(0.5);
const dy = new Float32Array(16 * 30 * 30 * 32).fill(0.25);
const dw = new Float32Array(3 * 3 * 3 * 32);
// At least argv[2] ms and 100 calls of each kernel, at most 30 s.
const start = Date.now();
const enough = () => (Date.now() - start >= Number(process.argv[2]) && calls >= 100) || Date.now() - start > 30000;
let calls = 0, wrong = 0;
(function loop() {
  for (let j = 0; j < 20; j++, calls++) {
    addon.matmul(a, w, out, 1, 16, 64, 3072, false, false, 0, 0);
    addon.conv2d(2, g, x, dy, dw, null, false);
    if (out[0] !== 3072 || out[1023] !== 3072 || dw[0] !== 16 * 900 * 0.125) wrong++;
  }
  if (!enough()) return setImmediate(loop);
  Atomics.store(stop, 0, 1);
  sender.once('message', (sent) => console.log(JSON.stringify({ calls, handled, sent, wrong })));
})();
`;

interface Report {
  calls: number;
  handled: number;
  sent: number;
  wrong: number;
}

function runUnderSignals(addon: string, ms: number) {
  return new Promise<{ code: number | null; signal: string | null; output: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, ['-e', CHILD, addon, String(ms)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve({ code, signal, output }));
    },
  );
}

describe.runIf(run)('signals during oneDNN calls', () => {
  it('a process handling thousands of signals during GEMM-based kernels survives, with right results', async () => {
    if (!binding.ok) throw new Error(`oneDNN add-on unavailable: ${binding.reason}`);
    const { code, signal, output } = await runUnderSignals(binding.path, 2000);
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    const line = output.split('\n').find((l) => l.startsWith('{'));
    const report = JSON.parse(line ?? 'null') as Report | null;
    expect(report?.wrong).toBe(0);
    expect(report?.calls).toBeGreaterThan(100);
    // Signals of one kind coalesce while pending, so fewer are handled than sent; enough still.
    expect(report?.handled).toBeGreaterThan(1000);
  }, 60_000);
});
