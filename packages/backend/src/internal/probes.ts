// One probe per backend. A probe either leaves tfjs running on its backend and returns what it
// found (for run metadata), or throws an Error whose message says why it cannot run here and how
// to make it run. `initBackend` turns those messages into the `tried` list or a
// BackendUnavailableError.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BackendName } from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { isModuleNotFound, type ModuleImporter, messageOf } from './optional-import.js';
import { installWebgpuFixes } from './webgpu-kernels.js';

export type ProbeDetails = Record<string, string | number | boolean>;

export interface ProbeContext {
  readonly importModule: ModuleImporter;
  /** Directory holding the wasm binaries, with a trailing slash; resolved from the package if unset. */
  readonly wasmPaths?: string;
  /** Whether webgpu may run on a software (CPU) adapter; only a request for webgpu by name sets it. */
  readonly allowSoftwareAdapter?: boolean;
  /** Extra options for Dawn's `create()` (toggles, backend choice). */
  readonly dawnOptions?: readonly string[];
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
  "/usr/share/vulkan/icd.d/nvidia_icd.json, and install libegl1: NVIDIA's Vulkan driver, " +
  "libGLX_nvidia.so.0, opens glvnd's libEGL.so.1 and starts no GPU without it).";

const SOFTWARE_HINT =
  'To run WebGPU on a software (CPU) adapter anyway, e.g. to test the webgpu code path (it is ' +
  'slower than wasm, and `auto` never picks it), ask for "webgpu" by name with ' +
  'IWLAB_WEBGPU_ALLOW_SOFTWARE=1 or the option allowSoftwareAdapter: true. That needs Mesa ' +
  'llvmpipe through EGL (Debian: libegl-dev, as Dawn loads libEGL.so, libegl-mesa0 and ' +
  "libgl1-mesa-dri), or a Mesa whose lavapipe Vulkan driver Dawn accepts (Debian 12's is too old).";

/** The parts of Dawn's `webgpu` module (and of WebGPU) that the probe and tfjs use. */
interface DawnAdapter {
  readonly info?: Record<string, unknown> | undefined;
  readonly features?: unknown;
  readonly limits?: Record<string, unknown> | undefined;
  requestDevice(descriptor?: { requiredLimits?: Record<string, number> }): Promise<unknown>;
}
interface DawnGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<DawnAdapter | null>;
}
interface DawnModule {
  create(options: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

interface FoundAdapter {
  /** What tfjs will see as navigator.gpu. */
  readonly gpu: DawnGpu;
  readonly adapter: DawnAdapter;
  readonly software: boolean;
  readonly featureLevel: 'core' | 'compatibility';
  readonly details?: ProbeDetails;
}

const ADAPTER_INFO_KEYS = ['vendor', 'architecture', 'device', 'description'] as const;

// Dawn marks few CPU adapters as fallback adapters (not llvmpipe over OpenGL ES, for one), so the
// driver names of the known software rasterizers are checked as well. Dawn's null backend
// (`IWLAB_DAWN_OPTIONS=backend=null`) executes nothing and reads back zeros: it is treated the same
// way, so `auto` never trains on it; by name it measures the CPU's share of a step.
const SOFTWARE_DRIVER = /llvmpipe|lavapipe|swiftshader|softpipe|software rasterizer|null-backend/i;

export function isSoftwareAdapter(info: Readonly<Record<string, unknown>> | undefined): boolean {
  if (info?.isFallbackAdapter === true) return true;
  return ADAPTER_INFO_KEYS.some((key) => {
    const value = info?.[key];
    return typeof value === 'string' && SOFTWARE_DRIVER.test(value);
  });
}

function describeAdapter(info: Readonly<Record<string, unknown>> | undefined): string {
  const parts = ADAPTER_INFO_KEYS.map((key) => info?.[key]).filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  return parts.length === 0 ? '(no adapter info)' : `"${parts.join(', ')}"`;
}

async function importRequired(ctx: ProbeContext, pkg: string, hint: string): Promise<unknown> {
  try {
    return await ctx.importModule(pkg);
  } catch (error) {
    if (isModuleNotFound(error)) throw new Error(`${pkg} is not installed. ${hint}`);
    throw new Error(`${pkg} is installed but failed to load: ${messageOf(error)}. ${hint}`);
  }
}

// The limits that bound how many buffers one compute shader may bind. Compatibility mode's
// defaults for them are below core WebGPU's (4 storage buffers per stage instead of 8), and tfjs
// raises only the size limits when it asks for a device, so a kernel with five tensors would fail
// validation. Asking for what the adapter supports removes that difference.
const BINDING_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxUniformBuffersPerShaderStage',
  'maxStorageTexturesPerShaderStage',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
] as const;

function withAdapterBindingLimits(adapter: DawnAdapter): DawnAdapter {
  const requiredLimits: Record<string, number> = {};
  for (const key of BINDING_LIMITS) {
    const value = adapter.limits?.[key];
    if (typeof value === 'number') requiredLimits[key] = value;
  }
  return {
    info: adapter.info,
    features: adapter.features,
    limits: adapter.limits,
    requestDevice: (descriptor = {}) =>
      adapter.requestDevice({
        ...descriptor,
        requiredLimits: { ...requiredLimits, ...descriptor.requiredLimits },
      }),
  };
}

/**
 * llvmpipe through Dawn's OpenGL ES backend. Mesa's Vulkan driver (lavapipe) before Mesa 23 lacks
 * the dynamic array indexing features Dawn requires ("Vulkan shaderUniform*ArrayDynamicIndexing
 * required"), and Dawn's default adapter search leaves OpenGL ES out, so this asks for it by name.
 * OpenGL ES adapters exist only in WebGPU's compatibility mode, which tfjs does not ask for: the
 * navigator.gpu tfjs sees asks for it on tfjs's behalf.
 */
async function findOpenGlesAdapter(
  dawn: DawnModule,
  dawnOptions: readonly string[],
): Promise<FoundAdapter | null> {
  // Mesa's EGL otherwise looks for a window system (X11, Wayland) and fails without a display;
  // the surfaceless platform needs none. A value the user set is left alone.
  const eglPlatform = process.env.EGL_PLATFORM ?? 'surfaceless';
  process.env.EGL_PLATFORM = eglPlatform;
  const gl = dawn.create(['backend=opengles', ...dawnOptions]);
  const request = async (options?: Record<string, unknown>) => {
    const adapter = await gl.requestAdapter({ ...options, featureLevel: 'compatibility' });
    return adapter === null ? null : withAdapterBindingLimits(adapter);
  };
  const adapter = await request();
  if (adapter === null) return null;
  return {
    gpu: { requestAdapter: request },
    adapter,
    software: isSoftwareAdapter(adapter.info),
    featureLevel: 'compatibility',
    details: { 'dawn.backend': 'opengles', 'egl.platform': eglPlatform },
  };
}

/**
 * A hardware adapter if Dawn finds one. A software one only when allowed (a named request with
 * IWLAB_WEBGPU_ALLOW_SOFTWARE / allowSoftwareAdapter; never under `auto`): first what Dawn's
 * default search found, else llvmpipe through OpenGL ES.
 */
async function findAdapter(
  dawn: DawnModule,
  allowSoftware: boolean,
  dawnOptions: readonly string[],
): Promise<FoundAdapter> {
  const gpu = dawn.create([...dawnOptions]);
  const adapter = await gpu.requestAdapter();
  const software = adapter !== null && isSoftwareAdapter(adapter.info);
  if (adapter !== null && !software) return { gpu, adapter, software, featureLevel: 'core' };
  if (!allowSoftware) {
    throw new Error(
      adapter === null
        ? `Dawn found no GPU adapter on this machine. ${WEBGPU_HINT} ${SOFTWARE_HINT}`
        : `Dawn found no hardware GPU adapter, only the software (CPU) adapter ` +
            `${describeAdapter(adapter.info)}, which trains far slower than wasm. ${SOFTWARE_HINT}`,
    );
  }
  if (adapter !== null) return { gpu, adapter, software, featureLevel: 'core' };
  const gl = await findOpenGlesAdapter(dawn, dawnOptions);
  if (gl === null) {
    throw new Error(
      'Dawn found no GPU adapter and no software adapter either (searched Vulkan and, with ' +
        `EGL_PLATFORM=${process.env.EGL_PLATFORM}, OpenGL ES). For a software adapter install ` +
        'Mesa llvmpipe through EGL (Debian: libegl-dev libegl-mesa0 libgl1-mesa-dri). ' +
        WEBGPU_HINT,
    );
  }
  return gl;
}

function setNavigatorGpu(gpu: DawnGpu): void {
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
}

export const probeWebgpu: Probe = async (ctx) => {
  const dawn = (await importRequired(ctx, 'webgpu', WEBGPU_HINT)) as DawnModule;
  const dawnOptions = ctx.dawnOptions ?? [];
  const found = await findAdapter(dawn, ctx.allowSoftwareAdapter === true, dawnOptions);
  // The tfjs webgpu backend reads navigator.gpu when it is imported, so Dawn's GPU object and its
  // WebGPU globals (GPUBufferUsage, ...) must be in place first.
  Object.assign(globalThis, dawn.globals);
  setNavigatorGpu(found.gpu);
  await importRequired(ctx, '@tensorflow/tfjs-backend-webgpu', WEBGPU_HINT);
  if (tf.findBackendFactory('webgpu') === null) {
    throw notRegistered('webgpu', '@tensorflow/tfjs-backend-webgpu');
  }
  const fixes = installWebgpuFixes();
  await activate('webgpu', WEBGPU_HINT);
  const details: ProbeDetails = {};
  for (const key of ADAPTER_INFO_KEYS) {
    const value = found.adapter.info?.[key];
    if (typeof value === 'string' && value !== '') details[`adapter.${key}`] = value;
  }
  details['adapter.software'] = found.software;
  details['adapter.featureLevel'] = found.featureLevel;
  if (fixes.length > 0) details.webgpuFixes = fixes.join(',');
  if (dawnOptions.length > 0) details['dawn.options'] = dawnOptions.join(' ');
  // GPU kernel times in tf.profile need it; Dawn offers it only with allow_unsafe_apis.
  const features = found.adapter.features as { has?: (name: string) => boolean } | undefined;
  details['adapter.timestampQuery'] = features?.has?.('timestamp-query') === true;
  return { ...details, ...found.details };
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
