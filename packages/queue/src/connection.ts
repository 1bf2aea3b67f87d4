// Where the queue lives: a Redis URL. BullMQ keeps its jobs there and the workers and the sweep
// meet there; nothing else of iwlab's touches Redis.
import { IwlabError, SpecError } from '@iwlab/core';
import { Redis } from 'ioredis';

/** BullMQ key prefix: every key iwlab writes starts with it, apart from other users of the server. */
export const KEY_PREFIX = 'iwlab';
/** Queue name when none is given: one sweep at a time per name. */
export const DEFAULT_QUEUE_NAME = 'trials';

export interface QueueLocation {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://` for TLS. */
  readonly url: string;
  /** Queue name (default `trials`); sweeps that run at the same time need different names. */
  readonly name?: string;
}

/** Checks the URL's form and names the field when it is wrong. */
export function checkQueueUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SpecError(`'${url}' is not a URL; expected redis://host:port`, { field: 'queue' });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new SpecError(`'${url}' is not a redis:// or rediss:// URL`, { field: 'queue' });
  }
  if (parsed.hostname === '') {
    throw new SpecError(`'${url}' names no host`, { field: 'queue' });
  }
  return parsed;
}

/** BullMQ connection options for the URL (workers need `maxRetriesPerRequest: null`). */
export function connectionOptions(url: string): { url: string; maxRetriesPerRequest: null } {
  checkQueueUrl(url);
  return { url, maxRetriesPerRequest: null };
}

/**
 * Fails fast, with the URL and the reason, when Redis cannot be reached: BullMQ itself retries
 * forever, which leaves a sweep or worker hanging with no word of why.
 */
export async function assertReachable(url: string, timeoutMs = 5000): Promise<void> {
  checkQueueUrl(url);
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  // The socket's error (ECONNREFUSED, ENOTFOUND, ...) comes as an event; connect() itself only
  // rejects with "Connection is closed".
  let reason: Error | undefined;
  client.on('error', (error: Error) => {
    reason ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new IwlabError(
      'IWLAB_QUEUE_UNREACHABLE',
      `cannot reach the queue at ${redactedUrl(url)}: ${(reason ?? (error as Error)).message} (is redis-server running there?)`,
      { field: 'queue' },
      { cause: error },
    );
  } finally {
    client.disconnect();
  }
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  const parsed = checkQueueUrl(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
