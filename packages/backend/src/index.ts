export {
  defaultFastKernels,
  type FastKernelName,
  installedFastKernels,
  installFastKernels,
  uninstallFastKernels,
} from './fast-kernels.js';
export { ensureGradients } from './gradients.js';
export {
  BACKEND_CHOICES,
  type InitBackendOptions,
  initBackend,
  resolveBackendChoice,
} from './init.js';
