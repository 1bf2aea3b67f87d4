import type { BackendChoice, BackendInfo, BackendName } from '@iwlab/core';
import { BackendUnavailableError, SpecError } from '@iwlab/core';
import { installFastKernels } from './fast-kernels.js';
import { ensureGradients } from './gradients.js';
import { importOptional, type ModuleImporter, messageOf } from './internal/optional-import.js';
import { AUTO_ORDER, PROBES, type ProbeDetails } from './internal/probes.js';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...AUTO_ORDER];

export interface InitBackendOptions {
  /** Where to read IWLAB_BACKEND from when no choice is given (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Folder holding tfjs-backend-wasm's .wasm files (trailing slash); found automatically if unset. */
  readonly wasmPaths?: string;
  /** How optional peers (tfjs-node, webgpu) are loaded; tests replace it. */
  readonly importModule?: ModuleImporter;
  /**
   * Register the fast training kernels for the chosen backend (default true; see
   * `installFastKernels`). False leaves the stock tfjs kernels, e.g. to compare against them.
   */
  readonly fastKernels?: boolean;
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

/**
 * Starts a TensorFlow.js backend and makes it the current one.
 *
 * `choice` (else the IWLAB_BACKEND environment variable, else 'auto'):
 * - 'auto' tries tfjs-node-gpu / tfjs-node ('tensorflow', only if installed), then WebGPU through
 *   Dawn ('webgpu', only if the `webgpu` package is installed and finds a GPU adapter), then
 *   'wasm', then 'cpu'. It never throws for an unavailable backend: what failed is in `tried`.
 * - a backend name starts that one or throws BackendUnavailableError saying why and how to get it.
 */
export async function initBackend(
  choice?: BackendChoice,
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const requested = resolveBackendChoice(choice, options.env ?? process.env);
  const ctx = {
    importModule: options.importModule ?? importOptional,
    ...(options.wasmPaths === undefined ? {} : { wasmPaths: options.wasmPaths }),
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
    if (options.fastKernels !== false) {
      const kernels = installFastKernels(name);
      if (kernels.length > 0) details.fastKernels = kernels.join(',');
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
