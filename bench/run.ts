// `npm run bench -- --backend wasm`: trains the two reference CNNs with iwlab and with the
// PyTorch peer, single process and as a sweep (every core busy), and prints examples/s and ratios.
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseBenchArgs } from './lib/args.js';
import { type NetName, peerNet } from './lib/nets.js';

const run = promisify(execFile);
const args = parseBenchArgs();
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
// Run with tsx from the sources, or with plain node from dist/ (`npm run build`; a GPU machine gets
// node and dist/ through ../shared/tools/gpu-bundle, without tsx).
const compiled = import.meta.url.endsWith('.js');
const trainOne = compiled ? [here('./train-one.js')] : ['--import', 'tsx', here('./train-one.ts')];
const torchPeer = here(compiled ? '../peers/torch_bench.py' : './peers/torch_bench.py');

interface Measured {
  examplesPerSecond: number;
  examplesPerCpuSecond: number;
  [key: string]: unknown;
}

/** Runs a command that prints one JSON line last; returns that object. */
async function measure(cmd: string, argv: string[]): Promise<Measured> {
  const { stdout } = await run(cmd, argv, { maxBuffer: 1 << 24 });
  const line = stdout.trim().split('\n').pop() ?? '';
  const parsed = JSON.parse(line) as Measured & { error?: string };
  if (parsed.error !== undefined) throw new Error(parsed.error);
  return parsed;
}

/** What both sides of the comparison are told besides the net: steps, batch and threads. */
const shared = (threads: number) => [
  '--steps',
  String(args.steps),
  '--batch',
  String(args.batch),
  '--threads',
  String(threads),
  '--warmup',
  String(args.warmup),
];

const iwlabArgv = (net: NetName, threads: number) => [
  ...trainOne,
  '--net',
  net,
  ...shared(threads),
  '--backend',
  args.backend,
  ...(args.stockKernels ? ['--stock-kernels'] : []),
  ...(args.opKernels ? ['--op-kernels'] : []),
];

// The zoo's nets have the same architectures as the peer's.
const torchArgv = (net: NetName, threads: number, extra: readonly string[] = []) => [
  torchPeer,
  '--net',
  peerNet(net),
  ...shared(threads),
  '--device',
  args.torchDevice,
  ...extra,
];

const iwlab = (net: NetName, threads: number) => measure(process.execPath, iwlabArgv(net, threads));
const torch = (net: NetName, threads: number, extra: readonly string[] = []) =>
  measure(args.python, torchArgv(net, threads, extra));

/**
 * `procs` copies of one command at once. Each warms up, says READY, and waits; all are released
 * together and train for the same --sweep-seconds, so their timed windows coincide and the sum of
 * their rates is the machine's throughput. (Fixed step counts would let a fast process finish
 * before a slow one starts, and overstate the sum.)
 */
async function together(procs: number, cmd: string, argv: string[]) {
  const children = Array.from({ length: procs }, () =>
    spawn(cmd, [...argv, '--sweep-seconds', String(args.sweepSeconds)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  let ready = 0;
  const results = children.map(
    (child) =>
      new Promise<Measured>((resolve, reject) => {
        let out = '';
        let sawReady = false;
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (!sawReady && out.includes('READY\n')) {
            sawReady = true;
            out = out.replace('READY\n', '');
            ready++;
            // Closing stdin too lets each child exit once it is done.
            if (ready === procs) for (const c of children) c.stdin.end('go\n');
          }
        });
        child.on('error', reject);
        child.on('close', (code) => {
          const line = out.trim().split('\n').pop() ?? '';
          try {
            const parsed = JSON.parse(line) as Measured & { error?: string };
            if (parsed.error !== undefined) reject(new Error(parsed.error));
            else resolve(parsed);
          } catch {
            reject(new Error(`${cmd} exited with ${code} without a result: ${line}`));
          }
        });
      }),
  );
  const each = await Promise.all(results);
  return { total: each.reduce((sum, m) => sum + m.examplesPerSecond, 0), each };
}

const fmt = (n: number) => n.toFixed(1).padStart(8);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
};
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ` +
    `load average ${machine.loadAverageAtStart.join(' ')}`,
);
console.log(
  `backend ${args.backend}${args.stockKernels ? ' (stock kernels)' : ''}, batch ${args.batch}, ` +
    `${args.steps} timed steps after ${args.warmup} warm-up steps, examples/s (wall clock)`,
);

let peerProblem: string | null = null;
const results: Record<string, unknown>[] = [];
for (const net of args.nets) {
  // iwlab's best single process, like PyTorch's below: native kernels on one thread or on all
  // cores (the wasm kernels run on one thread whatever is asked).
  const iwlabTries = [await iwlab(net, 1)];
  const native = (iwlabTries[0]?.details as Record<string, unknown> | undefined)?.nativeKernels;
  // Threads only matter to the native kernels; elsewhere a second run would measure the same.
  const threaded = typeof native === 'string' && native.startsWith('oneDNN');
  if (args.procs > 1 && threaded) iwlabTries.push(await iwlab(net, args.procs));
  const single = iwlabTries.reduce((a, b) => (b.examplesPerSecond > a.examplesPerSecond ? b : a));
  const oneThreadIwlab = iwlabTries[0] as Measured;
  const row: Record<string, unknown> = { net, iwlab: iwlabTries };
  const details = single.details as Record<string, unknown> | undefined;
  console.log(
    `\n[${net}] ${single.parameters} parameters, iwlab backend ${String(single.backend)}, ` +
      `native kernels: ${String(details?.nativeKernels ?? 'n/a')}`,
  );
  for (const [i, t] of iwlabTries.entries()) {
    console.log(
      `  ${i === 0 ? 'single process' : '              '}   iwlab ${fmt(t.examplesPerSecond)}   ` +
        `per CPU-second ${fmt(t.examplesPerCpuSecond)}   (${i === 0 ? 1 : args.procs} threads asked)`,
    );
  }
  let torchSingle: Measured | null = null;
  if (args.peer && peerProblem === null) {
    try {
      // PyTorch's best single process. On the CPU: one thread, or as many threads as cores. On
      // CUDA, where threads hardly matter: cuDNN's default algorithms, or the fastest it finds
      // (cudnn.benchmark).
      const tries = [await torch(net, 1)];
      if (tries[0]?.device === 'cuda') tries.push(await torch(net, 1, ['--cudnn-benchmark']));
      else if (args.procs > 1) tries.push(await torch(net, args.procs));
      row.torch = tries;
      for (const t of tries) {
        console.log(
          `                   torch ${fmt(t.examplesPerSecond)}   ` +
            `per CPU-second ${fmt(t.examplesPerCpuSecond)}   ` +
            `(${String(t.device)}, ${String(t.threads)} threads${t.cudnnBenchmark === true ? ', cudnn.benchmark' : ''})`,
        );
      }
      torchSingle = tries.reduce((a, b) => (b.examplesPerSecond > a.examplesPerSecond ? b : a));
      const oneThread = tries[0] as Measured;
      console.log(
        `  single ratio iwlab / torch best: ${ratio(single.examplesPerSecond, torchSingle.examplesPerSecond)}; ` +
          `per CPU-second, 1 thread each: ` +
          `${ratio(oneThreadIwlab.examplesPerCpuSecond, oneThread.examplesPerCpuSecond)}`,
      );
    } catch (error) {
      peerProblem = error instanceof Error ? error.message : String(error);
      console.log(`  PyTorch peer unavailable (${args.python}): ${peerProblem}`);
    }
  }
  if (args.sweep) {
    // One iwlab process per core, one thread each.
    const sweep = await together(args.procs, process.execPath, iwlabArgv(net, 1));
    row.iwlabSweep = sweep;
    console.log(
      `  sweep ${args.procs} procs   iwlab ${fmt(sweep.total)} ` +
        `(${sweep.each.map((m) => m.examplesPerSecond.toFixed(1)).join(' + ')})`,
    );
    if (torchSingle !== null && peerProblem === null && torchSingle.device === 'cpu') {
      // PyTorch's best use of the same cores: every split into processes x threads.
      let best: { procs: number; threads: number; total: number } | null = null;
      const configs: Record<string, number>[] = [];
      for (let procs = 1; procs <= args.procs; procs++) {
        if (args.procs % procs !== 0) continue;
        const threads = args.procs / procs;
        const { total } = await together(procs, args.python, torchArgv(net, threads));
        configs.push({ procs, threads, total });
        console.log(`                   torch ${fmt(total)} (${procs} procs x ${threads} threads)`);
        if (best === null || total > best.total) best = { procs, threads, total };
      }
      row.torchSweep = configs;
      if (best !== null) {
        console.log(
          `  sweep ratio iwlab / torch best (${best.procs}x${best.threads}): ` +
            `${ratio(sweep.total, best.total)}`,
        );
      }
    }
  }
  results.push(row);
}
if (args.out !== undefined) {
  await writeFile(args.out, `${JSON.stringify({ machine, args, results }, null, 2)}\n`);
  console.log(`\nwrote ${args.out}`);
}
