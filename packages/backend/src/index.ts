export {
  defaultFastKernels,
  type FastKernelName,
  installedFastKernels,
  installFastKernels,
  nativeKernelsInUse,
  uninstallFastKernels,
  useNativeKernels,
} from './fast-kernels.js';
export { ensureGradients } from './gradients.js';
export {
  BACKEND_CHOICES,
  type InitBackendOptions,
  initBackend,
  resolveBackendChoice,
} from './init.js';
export type { NativeKernels } from './internal/kernels/native.js';
export {
  type DispatchCacheStats,
  webgpuDispatchCacheStats,
} from './internal/webgpu-dispatch.js';
export type { NativeKernelsOptions } from './native.js';
