export {
  assertReachable,
  checkQueueUrl,
  DEFAULT_QUEUE_NAME,
  KEY_PREFIX,
  type QueueLocation,
  redactedUrl,
} from './connection.js';
export {
  decodeRecord,
  encodeRecord,
  jobIdOf,
  PROTOCOL_VERSION,
  readJobData,
  type TrialJobData,
  type TrialProgress,
  type TrialResult,
} from './protocol.js';
export { type QueuedSweepOptions, runQueuedSweep } from './sweep.js';
export {
  type QueueWorker,
  type QueueWorkerEvent,
  type QueueWorkerOptions,
  startQueueWorker,
} from './worker.js';
