// Convolutions, matmuls, sums and the max-pool gradient exist twice on wasm: the wasm kernels
// (always) and oneDNN's (when the optional @iwlab/onednn add-on is built). Tests that cover them
// run once per mode.
import { loadOneDnn } from '@iwlab/onednn';
import { afterAll, beforeAll } from 'vitest';
import { nativeKernelsInUse, useNativeKernels } from '../fast-kernels.js';
import type { NativeKernels } from '../internal/kernels/native.js';

const load = loadOneDnn();
// CI installs oneDNN and sets this, so a broken add-on fails there instead of skipping.
const required = process.env.IWLAB_ONEDNN_REQUIRED === '1';
if (!load.available && !required) {
  console.warn(`oneDNN kernel mode skipped: ${load.reason}`);
}

export interface KernelMode {
  readonly mode: string;
  readonly native: () => NativeKernels | undefined;
}

export const KERNEL_MODES: readonly KernelMode[] = [
  { mode: 'wasm kernels', native: () => undefined },
  ...(load.available || required
    ? [
        {
          mode: 'oneDNN kernels',
          native: () => {
            if (!load.available) throw new Error(`oneDNN is required but ${load.reason}`);
            return load.oneDnn;
          },
        },
      ]
    : []),
];

let calls = 0;

/** How many native kernels ran since the mode was set: proof that a mode is really in use. */
export const nativeCalls = () => calls;

function counted(dnn: NativeKernels): NativeKernels {
  const count =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (...args: A) => {
      calls++;
      return f(...args);
    };
  return {
    ...dnn,
    conv2dForward: count(dnn.conv2dForward),
    conv2dBackwardData: count(dnn.conv2dBackwardData),
    conv2dBackwardWeights: count(dnn.conv2dBackwardWeights),
    matmul: count(dnn.matmul),
    sumRows: count(dnn.sumRows),
    maxPoolGrad: count(dnn.maxPoolGrad),
    channelBinary: count(dnn.channelBinary),
    channelAffine: count(dnn.channelAffine),
  };
}

/** Inside a describe: use this mode's kernels for its tests, then restore what was there. */
export function useKernelMode(mode: KernelMode): void {
  let saved: NativeKernels | undefined;
  beforeAll(() => {
    saved = nativeKernelsInUse();
    const dnn = mode.native();
    calls = 0;
    useNativeKernels(dnn === undefined ? undefined : counted(dnn));
  });
  afterAll(() => useNativeKernels(saved));
}
