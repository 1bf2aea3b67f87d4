import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore, runId } from '@iwlab/experiments';
import { describe, expect, it, vi } from 'vitest';
import { logregInput, logregSpec } from './__tests__/specs.js';
import { findDataDir, hasCifar, importCommand, reportCommand, sweepCommand } from './commands.js';
import { storePlan } from './plan.js';
import { readSweepFile } from './sweep-file.js';

describe('data lookup', () => {
  it('finds the CIFAR cat/dog part only where its training file is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iwlab-data-'));
    expect(hasCifar(dir)).toBe(false);
    expect(hasCifar(undefined)).toBe(false);
    mkdirSync(join(dir, 'cifar10-catdog'));
    writeFileSync(join(dir, 'cifar10-catdog', 'train_catdog.bin'), '');
    expect(hasCifar(dir)).toBe(true);
  });

  it('prefers an explicit folder, then IWLAB_DATA_DIR', () => {
    const saved = process.env.IWLAB_DATA_DIR;
    try {
      process.env.IWLAB_DATA_DIR = '/from/env';
      expect(findDataDir('/explicit')).toBe('/explicit');
      expect(findDataDir()).toBe('/from/env');
    } finally {
      if (saved === undefined) delete process.env.IWLAB_DATA_DIR;
      else process.env.IWLAB_DATA_DIR = saved;
    }
  });
});

describe('iwlab report', () => {
  it("reports the stored plan's runs, or every run with --all", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iwlab-report-'));
    const db = join(dir, 'runs.sqlite');
    const store = new RunStore(db);
    const ids = [2, 3].map((epochs) => {
      const spec = logregSpec({ epochs });
      const id = runId(spec);
      store.beginRun(id, spec);
      store.finishRun(id, 'done', { seconds: 1 });
      return id;
    });
    storePlan(store, { notes: ['plan note'], runIds: ids.slice(0, 1), title: 'My plan' });
    store.close();
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const out = join(dir, 'plan.html');
      await reportCommand({ db, out });
      const plan = readFileSync(out, 'utf8');
      expect(plan.match(/<tr><td><code>/g)).toHaveLength(1);
      expect(plan).toContain('plan note');
      expect(plan).toContain('<title>My plan</title>');
      expect(plan).toContain('1 other run(s)');
      await reportCommand({ db, out, all: true });
      expect(readFileSync(out, 'utf8').match(/<tr><td><code>/g)).toHaveLength(2);
    } finally {
      quiet.mockRestore();
    }
  });
});

describe('iwlab sweep --queue', () => {
  it('refuses the options that belong to the workers, before touching the store or the queue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iwlab-queue-options-'));
    const db = join(dir, 'runs.sqlite');
    const base = { db, out: join(dir, 'r.html'), queue: 'redis://127.0.0.1:1' };
    // A valid sweep file: only the option check can stop the command before the store.
    const file = join(dir, 'sweep.json');
    writeFileSync(file, JSON.stringify({ base: logregInput(), axes: [] }));
    expect((await readSweepFile(file)).points).toHaveLength(1);
    await expect(sweepCommand(file, { ...base, jobs: 2 })).rejects.toThrow(
      /--jobs has no effect with --queue: the workers train, so give it to `iwlab worker`/,
    );
    await expect(sweepCommand(file, { ...base, dataDir: '/data' })).rejects.toThrow(
      /--data-dir has no effect with --queue/,
    );
    expect(existsSync(db)).toBe(false);
  });
});

describe('iwlab import', () => {
  it("merges another store's runs, keeps what is finished here and refuses clashing numbers", () => {
    const dir = mkdtempSync(join(tmpdir(), 'iwlab-import-'));
    const [a, b, c, d] = [2, 3, 4, 5].map((epochs) => logregSpec({ epochs }));
    const ids = [a, b, c, d].map((s) => runId(s as NonNullable<typeof s>));
    const laptop = new RunStore(join(dir, 'laptop.sqlite'));
    const here = new RunStore(join(dir, 'runs.sqlite'));
    const put = (store: RunStore, i: number, loss: number, finish: boolean) => {
      const spec = [a, b, c, d][i];
      const id = ids[i];
      if (spec === undefined || id === undefined) throw new Error('no spec');
      store.beginRun(id, spec);
      store.recordEpoch(id, 0, 'train', { loss, seconds: 1 });
      if (finish) store.finishRun(id, 'done', { seconds: 1 });
    };
    put(laptop, 0, 0.5, true); // new here
    put(laptop, 1, 0.5, true); // finished here too: kept
    put(here, 1, 0.7, true);
    put(laptop, 2, 0.5, true); // unfinished here with other numbers: refused
    put(here, 2, 0.9, false);
    put(laptop, 3, 0.5, false); // unfinished on the laptop: imported as such
    laptop.close();
    here.close();

    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
      lines.push(String(text));
      return true;
    });
    try {
      const summary = importCommand(join(dir, 'laptop.sqlite'), { db: join(dir, 'runs.sqlite') });
      expect(summary).toMatchObject({ inserted: 2, updated: 0, kept: 1, unfinished: 1 });
      expect(summary.refused.map((r) => r.id)).toEqual([ids[2]]);
      expect(summary.refused[0]?.reason).toMatch(/different train metrics/);
    } finally {
      write.mockRestore();
      process.exitCode = 0;
    }
    expect(lines.join('')).toMatch(/imported 2 run\(s\) .* kept 1 finished here/);
    expect(lines.join('')).toMatch(/refused [0-9a-f]{16}: .*different train metrics/);

    const merged = new RunStore(join(dir, 'runs.sqlite'));
    expect(merged.getRun(ids[0] as string)?.status).toBe('done');
    expect(merged.epochs(ids[1] as string)[0]?.metrics).toEqual({ loss: 0.7, seconds: 1 });
    expect(merged.epochs(ids[2] as string)[0]?.metrics).toEqual({ loss: 0.9, seconds: 1 });
    expect(merged.getRun(ids[3] as string)?.status).toBe('running');
    merged.close();
    expect(() => importCommand(join(dir, 'runs.sqlite'), { db: join(dir, 'runs.sqlite') })).toThrow(
      /is the target store itself/,
    );
    expect(() => importCommand(join(dir, 'nope.sqlite'), { db: join(dir, 'runs.sqlite') })).toThrow(
      /no run store/,
    );
  });
});
