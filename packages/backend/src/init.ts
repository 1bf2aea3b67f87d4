import type { BackendChoice, BackendInfo, BackendName } from '@iwlab/core';
import {
  BackendUnavailableError,
  DESCENT_STEP_KERNEL,
  SPARSE_SOFTMAX_CE_KERNEL,
  SpecError,
} from '@iwlab/core';
import * as tf from '@tensorflow/tfjs-core';
import { installFastKernels } from './fast-kernels.js';
import { ensureGradients } from './gradients.js';
import { installDescentStepKernel } from './internal/kernels/descent-step.js';
import { installSoftmaxCrossEntropyKernels } from './internal/kernels/softmax-cross-entropy.js';
import { registerFilterTileFlag } from './internal/kernels/webgpu-conv-filter.js';
import { installWebgpuReluGrad } from './internal/kernels/webgpu-relu-grad.js';
import { importOptional, type ModuleImporter, messageOf } from './internal/optional-import.js';
import { AUTO_ORDER, PROBES, type ProbeDetails } from './internal/probes.js';
import { installDispatchCache, type WebgpuBackendInternals } from './internal/webgpu-dispatch.js';
import { chooseWebgpuInputGradient } from './internal/webgpu-input-gradient.js';
import { type NativeKernelsOptions, setUpNativeKernels } from './native.js';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...AUTO_ORDER];

export interface InitBackendOptions extends NativeKernelsOptions {
  /** Where to read IWLAB_BACKEND from when no choice is given (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Folder holding tfjs-backend-wasm's .wasm files (trailing slash); found automatically if unset. */
  readonly wasmPaths?: string;
  /** How optional peers (tfjs-node, webgpu) are loaded; tests replace it. */
  readonly importModule?: ModuleImporter;
  /**
   * Register the fast training kernels for the chosen backend (default true; see
   * `installFastKernels`), and on cpu, wasm and webgpu the one-kernel softmax cross-entropy
   * that @iwlab/losses uses where registered (`details.lossKernels`), and on cpu and webgpu the
   * one-kernel descent step of @iwlab/train's optimizers (`details.optimizerKernels`). False
   * leaves the stock tfjs kernels, e.g. to compare against them.
   */
  readonly fastKernels?: boolean;
  /**
   * Let 'webgpu', asked for by name, run on a software (CPU) adapter such as Mesa's llvmpipe when
   * the machine has no GPU (default: the IWLAB_WEBGPU_ALLOW_SOFTWARE environment variable, '1' or
   * 'true'). For testing the webgpu code path: it trains slower than wasm. 'auto' ignores it.
   */
  readonly allowSoftwareAdapter?: boolean;
  /**
   * Options for Dawn's `create()` when webgpu is tried (default: the IWLAB_DAWN_OPTIONS
   * environment variable, split on whitespace), e.g.
   * `enable-dawn-features=skip_validation,disable_robustness` or `backend=vulkan`. See the
   * `webgpu` package's README for the list.
   */
  readonly dawnOptions?: readonly string[];
}

function isChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}

/** `choice` if given, else IWLAB_BACKEND, else 'auto'; anything else is a SpecError naming where it came from. */
export function resolveBackendChoice(
  choice?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): BackendChoice {
  const fromEnv = env.IWLAB_BACKEND?.trim();
  const raw = choice ?? (fromEnv === '' ? undefined : fromEnv) ?? 'auto';
  if (!isChoice(raw)) {
    const field = choice === undefined ? 'IWLAB_BACKEND' : 'backend';
    throw new SpecError(`unknown backend "${raw}"; use one of ${BACKEND_CHOICES.join(', ')}`, {
      field,
    });
  }
  return raw;
}

/** `option` if given, else IWLAB_WEBGPU_ALLOW_SOFTWARE ('1'/'true' or '0'/'false'/unset). */
function resolveAllowSoftwareAdapter(
  option: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (option !== undefined) return option;
  const raw = env.IWLAB_WEBGPU_ALLOW_SOFTWARE?.trim().toLowerCase() ?? '';
  if (raw === '1' || raw === 'true') return true;
  if (raw === '' || raw === '0' || raw === 'false') return false;
  throw new SpecError(
    `IWLAB_WEBGPU_ALLOW_SOFTWARE is "${env.IWLAB_WEBGPU_ALLOW_SOFTWARE}"; use 1 or true to allow a software WebGPU adapter, 0 or false (or leave it unset) not to`,
    { field: 'IWLAB_WEBGPU_ALLOW_SOFTWARE' },
  );
}

/**
 * Starts a TensorFlow.js backend and makes it the current one.
 *
 * `choice` (else the IWLAB_BACKEND environment variable, else 'auto'):
 * - 'auto' tries tfjs-node-gpu / tfjs-node ('tensorflow', only if installed), then WebGPU through
 *   Dawn ('webgpu', only if the `webgpu` package is installed and finds a hardware GPU adapter),
 *   then 'wasm', then 'cpu'. It never throws for an unavailable backend: what failed is in `tried`.
 * - a backend name starts that one or throws BackendUnavailableError saying why and how to get it.
 *   'webgpu' by name runs on a software (CPU) adapter only with `allowSoftwareAdapter`.
 */
export async function initBackend(
  choice?: BackendChoice,
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const env = options.env ?? process.env;
  const requested = resolveBackendChoice(choice, env);
  const ctx = {
    importModule: options.importModule ?? importOptional,
    ...(options.wasmPaths === undefined ? {} : { wasmPaths: options.wasmPaths }),
    // A software adapter is far slower than wasm: only a request for webgpu by name may use one.
    allowSoftwareAdapter:
      requested === 'webgpu' && resolveAllowSoftwareAdapter(options.allowSoftwareAdapter, env),
    dawnOptions: options.dawnOptions ?? (env.IWLAB_DAWN_OPTIONS ?? '').split(/\s+/).filter(Boolean),
  };
  const order = requested === 'auto' ? AUTO_ORDER : [requested];
  const tried: { name: BackendName; error: string }[] = [];
  for (const name of order) {
    let details: ProbeDetails;
    try {
      details = await PROBES[name](ctx);
    } catch (error) {
      tried.push({ name, error: messageOf(error) });
      continue;
    }
    const reason =
      requested === 'auto'
        ? tried.length === 0
          ? `auto: ${name} is the fastest backend available`
          : `auto: ${name} is the fastest backend that started (${tried.map((t) => t.name).join(', ')} could not)`
        : `asked for ${name}`;
    await ensureGradients();
    // Native kernels work on the wasm heap; the other backends have their own memory.
    if (name === 'wasm' && options.fastKernels !== false) {
      details.nativeKernels = await setUpNativeKernels(
        options,
        options.env ?? process.env,
        ctx.importModule,
      );
    }
    if (name === 'webgpu' && options.fastKernels !== false) {
      details.webgpuDispatchCache = env.IWLAB_WEBGPU_DISPATCH_CACHE?.trim() !== '0';
      if (details.webgpuDispatchCache) {
        installDispatchCache(tf.backend() as unknown as WebgpuBackendInternals);
      }
      installWebgpuReluGrad();
      details.webgpuReluGrad = true;
      registerFilterTileFlag();
      details.webgpuInputGradient = chooseWebgpuInputGradient();
    }
    if (options.fastKernels !== false) {
      const kernels = installFastKernels(name);
      if (kernels.length > 0) details.fastKernels = kernels.join(',');
      // New kernels rather than replacements: @iwlab/losses and @iwlab/train use them where
      // they are registered.
      if (installSoftmaxCrossEntropyKernels(name)) details.lossKernels = SPARSE_SOFTMAX_CE_KERNEL;
      if (installDescentStepKernel(name)) details.optimizerKernels = DESCENT_STEP_KERNEL;
    }
    return { name, requested, reason, tried, details };
  }
  const last = tried[tried.length - 1];
  if (requested !== 'auto' && last !== undefined) {
    throw new BackendUnavailableError(`the "${requested}" backend cannot run here: ${last.error}`, {
      field: choice === undefined ? 'IWLAB_BACKEND' : 'backend',
    });
  }
  // Unreachable in practice (cpu is pure JS), but auto must still say what happened.
  throw new BackendUnavailableError(
    `no backend could start: ${tried.map((t) => `${t.name}: ${t.error}`).join('; ')}`,
    { field: 'backend' },
  );
}
