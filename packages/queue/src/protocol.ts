// What crosses the queue. A job is one run: its spec (the id must be the spec's own), and the
// backend the sweep pins, if any. A worker reports progress as pieces of the run's record (what
// its own store gained since the last piece) and ends with the whole record, so a sweep that
// missed pieces, or was away while the run finished, still gets every epoch. Records travel
// gzipped: a 10,000-epoch run is megabytes of JSON.
import { gunzipSync, gzipSync } from 'node:zlib';
import { SpecError } from '@iwlab/core';
import {
  type ExperimentSpec,
  type RunOutcome,
  type RunRecord,
  resolveSpec,
  runId,
} from '@iwlab/experiments';
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/**
 * A run's job id: the run id with a prefix. BullMQ refuses a custom id that reads as an integer,
 * and a run id (16 hex digits) sometimes does: all decimal digits, or digits around one 'e'
 * ("4926157164e31438"); 2 of the first 1,100 seeds of one spec gave such ids.
 */
export function jobIdOf(runId: string): string {
  return `run-${runId}`;
}

export interface TrialJobData {
  readonly v: typeof PROTOCOL_VERSION;
  readonly id: string;
  readonly spec: ExperimentSpec;
  readonly backend?: ExperimentSpec['backend'];
}

export interface TrialProgress {
  readonly v: typeof PROTOCOL_VERSION;
  /** The worker that runs it (`host:pid` unless named). */
  readonly worker: string;
  /** A gzipped piece of the run's record; absent in the first message, sent when the run starts. */
  readonly record?: string;
}

export interface TrialResult {
  readonly v: typeof PROTOCOL_VERSION;
  readonly worker: string;
  readonly outcome: RunOutcome;
  /** The whole gzipped record; null when the run never reached the worker's store. */
  readonly record: string | null;
}

export function encodeRecord(record: RunRecord): string {
  return gzipSync(JSON.stringify(record)).toString('base64');
}

export function decodeRecord(text: string): RunRecord {
  return JSON.parse(gunzipSync(Buffer.from(text, 'base64')).toString('utf8')) as RunRecord;
}

const jobDataSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  id: z.string().regex(/^[0-9a-f]{16}$/),
  spec: z.unknown(),
  backend: z.string().optional(),
});

/**
 * Reads a job's data as a worker gets it: a job of another protocol version, or whose id is not
 * its spec's id, is refused with the field named (the spec is resolved again, so a worker of
 * another iwlab version that resolves it differently refuses rather than storing a mix).
 */
export function readJobData(data: unknown, jobId: string | undefined): TrialJobData {
  const parsed = jobDataSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SpecError(`job ${jobId ?? '?'}: ${issue?.message ?? 'bad job data'}`, {
      field: `job.${issue?.path.join('.') ?? ''}`,
    });
  }
  const spec = resolveSpec(parsed.data.spec);
  if (runId(spec) !== parsed.data.id) {
    throw new SpecError(
      `job ${jobId ?? '?'}: the spec resolves to run ${runId(spec)} here, not ${parsed.data.id} (workers and sweep on different iwlab versions?)`,
      { field: 'job.id' },
    );
  }
  return {
    v: PROTOCOL_VERSION,
    id: parsed.data.id,
    spec,
    ...(parsed.data.backend === undefined
      ? {}
      : { backend: parsed.data.backend as ExperimentSpec['backend'] }),
  };
}
