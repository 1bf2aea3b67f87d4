// One probe per backend. A probe either leaves tfjs running on its backend and returns what it
// found (for run metadata), or throws an Error whose message says why it cannot run here and how
// to make it run. `initBackend` turns those messages into the `tried` list or a
// BackendUnavailableError.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BackendName } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { isModuleNotFound, type ModuleImporter, messageOf } from './optional-import.js';

export type ProbeDetails = Record<string, string | number | boolean>;

export interface ProbeContext {
  readonly importModule: ModuleImporter;
  /** Directory holding the wasm binaries, with a trailing slash; resolved from the package if unset. */
  readonly wasmPaths?: string;
}

export type Probe = (ctx: ProbeContext) => Promise<ProbeDetails>;

async function activate(name: string, hint: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new Error(`tfjs could not start the "${name}" backend: ${messageOf(error)}. ${hint}`);
  }
  if (!ok) throw new Error(`tfjs could not start the "${name}" backend. ${hint}`);
  await tf.ready();
}

function notRegistered(name: string, pkg: string): Error {
  return new Error(
    `${pkg} loaded but no "${name}" backend is registered with this program's ` +
      '@tensorflow/tfjs-core: it was probably registered with a second copy of tfjs-core. ' +
      `Make both resolve to one copy (npm dedupe; same version of @tensorflow/tfjs-core and ${pkg}).`,
  );
}

async function importTensorflow(ctx: ProbeContext, pkg: string, hint: string): Promise<void> {
  try {
    await ctx.importModule(pkg);
  } catch (error) {
    if (isModuleNotFound(error)) throw new Error(`${pkg} is not installed. ${hint}`);
    throw new Error(`${pkg} is installed but failed to load: ${messageOf(error)}. ${hint}`);
  }
  if (tf.findBackendFactory('tensorflow') === null) throw notRegistered('tensorflow', pkg);
}

const TF_NODE_HINT =
  'Install it with `npm i @tensorflow/tfjs-node` (its install step downloads libtensorflow, so ' +
  'the machine must reach storage.googleapis.com).';
const TF_NODE_GPU_HINT =
  'Install it with `npm i @tensorflow/tfjs-node-gpu` (needs CUDA 11.2 and cuDNN 8.1, and its ' +
  'install step downloads libtensorflow from storage.googleapis.com).';

/** tfjs-node-gpu first (when present it is the faster of the two), then tfjs-node. */
export const probeTensorflow: Probe = async (ctx) => {
  const failures: string[] = [];
  for (const [pkg, hint] of [
    ['@tensorflow/tfjs-node-gpu', TF_NODE_GPU_HINT],
    ['@tensorflow/tfjs-node', TF_NODE_HINT],
  ] as const) {
    try {
      await importTensorflow(ctx, pkg, hint);
      await activate('tensorflow', hint);
      return { package: pkg };
    } catch (error) {
      failures.push(messageOf(error));
    }
  }
  throw new Error(failures.join(' / '));
};

const WEBGPU_HINT =
  'WebGPU in Node needs the optional packages `webgpu` (Dawn) and `@tensorflow/tfjs-backend-webgpu` ' +
  '(`npm i webgpu @tensorflow/tfjs-backend-webgpu`), a GPU, and a Vulkan loader and driver ' +
  '(Debian: libvulkan1; on NVIDIA point VK_DRIVER_FILES at the ICD json, e.g. ' +
  '/usr/share/vulkan/icd.d/nvidia_icd.json).';

interface DawnModule {
  create(options: string[]): {
    requestAdapter(): Promise<{ info?: Record<string, unknown> } | null>;
  };
  globals: Record<string, unknown>;
}

async function importRequired(ctx: ProbeContext, pkg: string, hint: string): Promise<unknown> {
  try {
    return await ctx.importModule(pkg);
  } catch (error) {
    if (isModuleNotFound(error)) throw new Error(`${pkg} is not installed. ${hint}`);
    throw new Error(`${pkg} is installed but failed to load: ${messageOf(error)}. ${hint}`);
  }
}

export const probeWebgpu: Probe = async (ctx) => {
  const dawn = (await importRequired(ctx, 'webgpu', WEBGPU_HINT)) as DawnModule;
  // The tfjs webgpu backend reads navigator.gpu when it is imported, so Dawn's GPU object and its
  // WebGPU globals (GPUBufferUsage, ...) must be in place first.
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter();
  if (adapter === null) {
    throw new Error(`Dawn found no GPU adapter on this machine. ${WEBGPU_HINT}`);
  }
  Object.assign(globalThis, dawn.globals);
  const nav = (globalThis as { navigator?: Record<string, unknown> }).navigator;
  if (nav === undefined) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu },
      configurable: true,
      writable: true,
    });
  } else {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  }
  await importRequired(ctx, '@tensorflow/tfjs-backend-webgpu', WEBGPU_HINT);
  if (tf.findBackendFactory('webgpu') === null) {
    throw notRegistered('webgpu', '@tensorflow/tfjs-backend-webgpu');
  }
  await activate('webgpu', WEBGPU_HINT);
  const details: ProbeDetails = {};
  for (const key of ['vendor', 'architecture', 'device', 'description']) {
    const value = adapter.info?.[key];
    if (typeof value === 'string' && value !== '') details[`adapter.${key}`] = value;
  }
  return details;
};

const WASM_HINT =
  '@tensorflow/tfjs-backend-wasm is a dependency of @iwlab/backend; reinstall (npm install) if ' +
  'it is missing, or pass options.wasmPaths pointing at the folder holding its .wasm files.';

/** The folder that holds tfjs-backend-wasm's .wasm binaries, found through Node's resolver. */
export function defaultWasmPaths(): string {
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

export const probeWasm: Probe = async (ctx) => {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new Error(
      `@tensorflow/tfjs-backend-wasm failed to load: ${messageOf(error)}. ${WASM_HINT}`,
    );
  }
  let paths = '(already initialized)';
  // setWasmPaths only has an effect before the backend's first initialization.
  if (tf.findBackend('wasm') === null) {
    paths = ctx.wasmPaths ?? defaultWasmPaths();
    wasm.setWasmPaths(paths);
  }
  await activate('wasm', WASM_HINT);
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const multithread = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  return {
    binary: join(paths, simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm'),
    simd,
    multithread,
    threads: multithread ? wasm.getThreadsCount() : 1,
  };
};

export const probeCpu: Probe = async () => {
  await import('@tensorflow/tfjs-backend-cpu');
  await activate('cpu', 'The cpu backend should always start; this is a bug, please report it.');
  return {};
};

export const PROBES: Readonly<Record<BackendName, Probe>> = {
  tensorflow: probeTensorflow,
  webgpu: probeWebgpu,
  wasm: probeWasm,
  cpu: probeCpu,
};

/** The order `auto` tries, fastest first. */
export const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
