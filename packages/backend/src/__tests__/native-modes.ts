// The convolution kernels exist twice on wasm: the wasm ones (always) and oneDNN's (when the
// optional @iwlab/onednn add-on is built). Tests that cover convolutions run once per mode.
import { loadOneDnn } from '@iwlab/onednn';
import { afterAll, beforeAll } from 'vitest';
import { nativeConvolutions, setNativeConvolutions } from '../fast-kernels.js';
import type { NativeConvolutions } from '../internal/kernels/native-conv.js';

const load = loadOneDnn();
// CI installs oneDNN and sets this, so a broken add-on fails there instead of skipping.
const required = process.env.IWLAB_ONEDNN_REQUIRED === '1';
if (!load.available && !required) {
  console.warn(`oneDNN kernel mode skipped: ${load.reason}`);
}

export interface ConvMode {
  readonly mode: string;
  readonly native: () => NativeConvolutions | undefined;
}

export const CONV_MODES: readonly ConvMode[] = [
  { mode: 'wasm convolution kernels', native: () => undefined },
  ...(load.available || required
    ? [
        {
          mode: 'oneDNN convolution kernels',
          native: () => {
            if (!load.available) throw new Error(`oneDNN is required but ${load.reason}`);
            return load.oneDnn;
          },
        },
      ]
    : []),
];

let calls = 0;

/** How many native convolutions ran since the mode was set: proof that a mode is really in use. */
export const nativeCalls = () => calls;

function counted(dnn: NativeConvolutions): NativeConvolutions {
  const count =
    <A extends unknown[]>(f: (...args: A) => string) =>
    (...args: A) => {
      calls++;
      return f(...args);
    };
  return {
    ...dnn,
    conv2dForward: count(dnn.conv2dForward),
    conv2dBackwardData: count(dnn.conv2dBackwardData),
    conv2dBackwardWeights: count(dnn.conv2dBackwardWeights),
  };
}

/** Inside a describe: use this mode's kernels for its tests, then restore what was there. */
export function useConvMode(mode: ConvMode): void {
  let saved: NativeConvolutions | undefined;
  beforeAll(() => {
    saved = nativeConvolutions();
    const dnn = mode.native();
    calls = 0;
    setNativeConvolutions(dnn === undefined ? undefined : counted(dnn));
  });
  afterAll(() => setNativeConvolutions(saved));
}
