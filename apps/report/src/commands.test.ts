import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDataDir, hasCifar } from './commands.js';

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
