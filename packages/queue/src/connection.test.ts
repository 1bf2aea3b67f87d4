import { IwlabError, SpecError } from '@iwlab/core';
import { describe, expect, it } from 'vitest';
import { assertReachable, checkQueueUrl, redactedUrl } from './connection.js';
import { freePort } from './testing/index.js';

describe('queue URLs', () => {
  it('accepts redis:// and rediss:// with a host, and names the field otherwise', () => {
    expect(checkQueueUrl('redis://10.0.0.5:6379/2').port).toBe('6379');
    expect(checkQueueUrl('rediss://user:pw@queue.lab').hostname).toBe('queue.lab');
    for (const bad of ['localhost:6379', 'http://host:6379', 'redis://']) {
      expect(() => checkQueueUrl(bad)).toThrow(SpecError);
    }
    expect(() => checkQueueUrl('http://host')).toThrow(
      expect.objectContaining({ where: expect.objectContaining({ field: 'queue' }) }),
    );
  });

  it('keeps passwords out of messages', () => {
    expect(redactedUrl('redis://user:secret@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactedUrl('redis://host:6379')).toBe('redis://host:6379');
  });

  it('fails at once, naming the URL, when nothing listens there', async () => {
    // A port that was free a moment ago: nothing listens on it.
    const port = await freePort();
    const url = `redis://:hunter2@127.0.0.1:${port}`;
    const error = await assertReachable(url, 2000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IwlabError);
    expect((error as IwlabError).code).toBe('IWLAB_QUEUE_UNREACHABLE');
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect((error as Error).message).not.toContain('hunter2');
  });
});
