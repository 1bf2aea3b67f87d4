export type {
  CheckResult,
  ConformanceOptions,
  LossTestVector,
} from './conformance.js';
export { assertLossConforms, checkLossConformance } from './conformance.js';
