export {
  defaultFastKernels,
  type FastKernelName,
  installedFastKernels,
  installFastKernels,
  nativeConvolutions,
  setNativeConvolutions,
  uninstallFastKernels,
} from './fast-kernels.js';
export { ensureGradients } from './gradients.js';
export {
  BACKEND_CHOICES,
  type InitBackendOptions,
  initBackend,
  resolveBackendChoice,
} from './init.js';
export type { NativeConvolutions } from './internal/kernels/native-conv.js';
export type { NativeKernelsOptions } from './native.js';
