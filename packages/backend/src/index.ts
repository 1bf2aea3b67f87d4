export {
  BACKEND_CHOICES,
  type InitBackendOptions,
  initBackend,
  resolveBackendChoice,
} from './init.js';
