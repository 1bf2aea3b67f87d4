// The epoch history of a checkpointed run, beside its checkpoint as JSON lines, one epoch a line.
// Appending is O(new epochs) where rewriting the history into every checkpoint was O(all epochs):
// a 10,000-epoch run wrote megabytes per epoch, and the checkpoint cost more than the epoch.
// A checkpoint's lines are the first `epochsCompleted` (one record per finished epoch); lines
// after those (written before a crash stopped the checkpoint that would have claimed them) are
// cut off on resume.
import { open, readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '@iwlab/core';
import { replacer, reviver } from './checkpoint-file.js';
import type { EpochRecord } from './types.js';

const HISTORY_FILE = 'history.jsonl';

function historyPath(dir: string): string {
  return join(dir, HISTORY_FILE);
}

/** Appends `records` and syncs them to disk before the checkpoint that counts them is written. */
export async function appendHistory(dir: string, records: readonly EpochRecord[]): Promise<void> {
  if (records.length === 0) return;
  const text = records.map((r) => `${JSON.stringify(r, replacer)}\n`).join('');
  const file = await open(historyPath(dir), 'a');
  try {
    await file.writeFile(text, 'utf8');
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Starts a run's history afresh (a new run, or one resumed from a checkpoint holding it inline). */
export async function clearHistory(dir: string): Promise<void> {
  await rm(historyPath(dir), { force: true });
}

/**
 * The first `count` records of the history. With `cut`, the file is truncated after them, so
 * the next append continues the checkpoint's history and nothing a crash left behind. A file
 * with fewer records, or a record that does not parse, is a DataError naming the file and line.
 */
export async function readHistory(
  dir: string,
  count: number,
  options: { readonly cut?: boolean } = {},
): Promise<EpochRecord[]> {
  const path = historyPath(dir);
  if (count === 0) {
    if (options.cut) await clearHistory(dir);
    return [];
  }
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (error) {
    throw new DataError(
      `the checkpoint counts ${count} epochs of history, but ${path} cannot be read: ${(error as Error).message}`,
      { file: path },
      { cause: error },
    );
  }
  const records: EpochRecord[] = [];
  let start = 0;
  while (records.length < count) {
    const end = buf.indexOf(0x0a, start);
    if (end < 0) {
      throw new DataError(
        `the checkpoint counts ${count} epochs of history, the file has ${records.length} whole lines: it is truncated`,
        { file: path, offset: start },
      );
    }
    try {
      records.push(JSON.parse(buf.toString('utf8', start, end), reviver) as EpochRecord);
    } catch (error) {
      throw new DataError(
        `line ${records.length + 1} is not a JSON epoch record`,
        { file: path, offset: start },
        { cause: error },
      );
    }
    start = end + 1;
  }
  if (options.cut && start < buf.byteLength) await truncate(path, start);
  return records;
}
