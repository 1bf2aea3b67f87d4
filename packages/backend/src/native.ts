// Finds the optional oneDNN add-on (@iwlab/onednn) and hands its convolutions to the fast kernels.
import { useNativeKernels } from './fast-kernels.js';
import type { NativeKernels } from './internal/kernels/native.js';
import { isModuleNotFound, type ModuleImporter, messageOf } from './internal/optional-import.js';

export interface NativeKernelsOptions {
  /** Use the oneDNN kernels if installed (default true; IWLAB_NATIVE_KERNELS=0 also turns them off). */
  readonly nativeKernels?: boolean;
  /**
   * Threads for the native kernels (default: OMP_NUM_THREADS if set, else 1). One is the default
   * because the rest of a step runs on wasm's single thread anyway, sweeps run one process per
   * core, and OpenMP threads that wait on a core taken by another process slowed a 2-thread run
   * down 5-10x on a shared 2-core machine.
   */
  readonly threads?: number;
}

interface OneDnnModule {
  loadOneDnn(): { available: true; oneDnn: NativeKernels } | { available: false; reason: string };
}

/**
 * Turns the native convolutions on (or off) for heap backends and says what happened, in words
 * for BackendInfo.details. Never throws for a missing or broken add-on: the wasm kernels remain.
 */
export async function setUpNativeKernels(
  options: NativeKernelsOptions,
  env: Readonly<Record<string, string | undefined>>,
  importModule: ModuleImporter,
): Promise<string> {
  useNativeKernels(undefined);
  if (options.nativeKernels === false) return 'off (nativeKernels: false)';
  if (env.IWLAB_NATIVE_KERNELS === '0') return 'off (IWLAB_NATIVE_KERNELS=0)';
  let mod: OneDnnModule;
  try {
    mod = (await importModule('@iwlab/onednn')) as OneDnnModule;
  } catch (error) {
    return isModuleNotFound(error)
      ? 'off: @iwlab/onednn is not installed (npm i @iwlab/onednn, with libdnnl-dev, for oneDNN convolutions)'
      : `off: @iwlab/onednn failed to load: ${messageOf(error)}`;
  }
  const load = mod.loadOneDnn();
  if (!load.available) return `off: ${load.reason}`;
  const dnn = load.oneDnn;
  const fromEnv = env.OMP_NUM_THREADS?.trim();
  if (options.threads !== undefined) dnn.setThreads(options.threads);
  else if (fromEnv === undefined || fromEnv === '') dnn.setThreads(1);
  useNativeKernels(dnn);
  return `oneDNN ${dnn.version} (${dnn.isa}, ${dnn.threads()} threads)`;
}
