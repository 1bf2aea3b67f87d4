// Loads the compiled add-on. It is built at install time (scripts/install.mjs) and may be absent,
// so loading never throws: it says why the add-on is not there instead.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The add-on's own functions (native/onednn.cc), before validation. */
export interface NativeBinding {
  conv2d(
    op: number,
    geometry: Int32Array,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    bias: Float32Array | null,
    relu: boolean,
  ): string;
  matmul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    strideA: number,
    strideB: number,
  ): void;
  sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  channelBinary(
    op: number,
    full: Float32Array,
    perChannel: Float32Array,
    out: Float32Array,
    channels: number,
    perChannelFirst: boolean,
  ): void;
  channelAffine(
    x: Float32Array,
    center: Float32Array,
    scale: Float32Array,
    shift: Float32Array,
    out: Float32Array,
    channels: number,
  ): void;
  setThreads(n: number): void;
  threads(): number;
  version(): { major: number; minor: number; patch: number; hash: string; isa: string };
  cachedPlans(): number;
  clearPlans(): void;
}

export type BindingLoad =
  | { readonly ok: true; readonly binding: NativeBinding; readonly path: string }
  | { readonly ok: false; readonly reason: string };

// src/internal/ in development and dist/internal/ once built: the add-on is two folders up.
const ADDON = fileURLToPath(new URL('../../build/Release/iwlab_onednn.node', import.meta.url));

export function loadBinding(): BindingLoad {
  if (!existsSync(ADDON)) {
    return {
      ok: false,
      reason:
        `the native add-on was not built (${ADDON} is missing): install oneDNN's headers ` +
        '(Debian/Ubuntu: apt-get install libdnnl-dev) and run npm rebuild @iwlab/onednn',
    };
  }
  try {
    const binding = createRequire(import.meta.url)(ADDON) as NativeBinding;
    return { ok: true, binding, path: ADDON };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason:
        `the native add-on at ${ADDON} failed to load: ${message} (is the oneDNN library, ` +
        'libdnnl.so.2, still installed? Debian/Ubuntu: apt-get install libdnnl2)',
    };
  }
}
