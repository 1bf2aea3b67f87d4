// Command-line options of the bench (node:util's parseArgs: no dependency needed).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { NET_NAMES, type NetName, parseNetNames } from './nets.js';

export interface BenchArgs {
  /** iwlab backend: auto | tensorflow | webgpu | wasm | cpu. */
  backend: string;
  steps: number;
  batch: number;
  nets: NetName[];
  /** Run the PyTorch peer and print ratios. */
  peer: boolean;
  /** Measure sweep throughput (one process per core, all at once). */
  sweep: boolean;
  /** Cores the sweep fills. */
  procs: number;
  /** Length of the sweep's common timed window. */
  sweepSeconds: number;
  python: string;
  /** PyTorch device: cpu, cuda or auto (cuda when available). */
  torchDevice: string;
  /** Register no fast kernels (to measure what they bring). */
  stockKernels: boolean;
  /** Also install the op-based gradient rewrites (default on wasm only), e.g. on webgpu. */
  opKernels: boolean;
  /** Also write the results as JSON here. */
  out: string | undefined;
  /**
   * Untimed steps before the timed ones, the same on both sides (default 3). iwlab's webgpu
   * dispatch cache fills over the first hundreds to thousands of steps; a long run sees the filled state.
   */
  warmup: number;
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

export function parseBenchArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      backend: { type: 'string', default: 'auto' },
      steps: { type: 'string', default: '10' },
      batch: { type: 'string', default: '64' },
      nets: { type: 'string', default: NET_NAMES.join(',') },
      'no-peer': { type: 'boolean', default: false },
      'no-sweep': { type: 'boolean', default: false },
      procs: { type: 'string', default: String(availableParallelism()) },
      'sweep-seconds': { type: 'string', default: '20' },
      python: { type: 'string', default: process.env.IWLAB_PYTHON ?? '/usr/bin/python3' },
      'torch-device': { type: 'string', default: 'auto' },
      'stock-kernels': { type: 'boolean', default: false },
      'op-kernels': { type: 'boolean', default: false },
      out: { type: 'string' },
      warmup: { type: 'string', default: '3' },
    },
    allowPositionals: false,
  });
  const nets = parseNetNames(values.nets, '--nets');
  return {
    backend: values.backend,
    steps: positiveInt(values.steps, 'steps'),
    batch: positiveInt(values.batch, 'batch'),
    nets,
    peer: !values['no-peer'],
    sweep: !values['no-sweep'],
    procs: positiveInt(values.procs, 'procs'),
    sweepSeconds: positiveInt(values['sweep-seconds'], 'sweep-seconds'),
    python: values.python,
    torchDevice: values['torch-device'],
    stockKernels: values['stock-kernels'],
    opKernels: values['op-kernels'],
    out: values.out,
    warmup: positiveInt(values.warmup, 'warmup'),
  };
}
