// Starting a backend for one bench process (train-one.ts, webgpu-anatomy.ts, profile-step.ts).
import { type FastKernelName, initBackend, installFastKernels } from '@iwlab/backend';
import type { BackendChoice, BackendInfo } from '@iwlab/core';

/**
 * The backend-generic (op-based) gradient rewrites, which only wasm gets by default: `--op-kernels`
 * installs them too, to measure whether they pay elsewhere (webgpu).
 */
export const OP_KERNELS: readonly FastKernelName[] = [
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'BatchMatMul',
  'AvgPoolGrad',
  'Sum',
];

export interface BenchBackendOptions {
  /** tfjs's kernels only (`fastKernels: false`), to measure what the fast ones bring. */
  readonly stockKernels?: boolean;
  /** Also the op-based rewrites (OP_KERNELS). */
  readonly opKernels?: boolean;
  /** Threads for the native (oneDNN) kernels. */
  readonly threads?: number;
}

/** initBackend for a bench run; `details.fastKernels` says what ended up installed. */
export async function startBenchBackend(
  choice: BackendChoice,
  options: BenchBackendOptions = {},
): Promise<BackendInfo> {
  const info = await initBackend(choice, {
    fastKernels: options.stockKernels !== true,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
  if (options.opKernels !== true) return info;
  const fastKernels = installFastKernels(info.name, OP_KERNELS).join(',');
  return { ...info, details: { ...info.details, fastKernels } };
}
