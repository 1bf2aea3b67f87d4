import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore, runId } from '@iwlab/experiments';
import { describe, expect, it, vi } from 'vitest';
import { logregSpec } from './__tests__/specs.js';
import { findDataDir, hasCifar, reportCommand, sweepCommand } from './commands.js';
import { storePlan } from './plan.js';

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
    await expect(sweepCommand('unused.json', { ...base, jobs: 2 })).rejects.toThrow(
      /--jobs has no effect with --queue: the workers train, so give it to `iwlab worker`/,
    );
    await expect(sweepCommand('unused.json', { ...base, dataDir: '/data' })).rejects.toThrow(
      /--data-dir has no effect with --queue/,
    );
    expect(existsSync(db)).toBe(false);
  });
});
