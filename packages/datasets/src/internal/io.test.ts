import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveDataDir } from './io.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('resolveDataDir', () => {
  it('prefers the option, then IWLAB_DATA_DIR', () => {
    vi.stubEnv('IWLAB_DATA_DIR', '/data/from-env');
    expect(resolveDataDir('/data/option')).toBe(path.resolve('/data/option'));
    expect(resolveDataDir()).toBe(path.resolve('/data/from-env'));
  });

  it.runIf(process.platform === 'linux')('falls back to the XDG cache dir on Linux', () => {
    vi.stubEnv('IWLAB_DATA_DIR', '');
    vi.stubEnv('XDG_CACHE_HOME', '/tmp/xdg-cache');
    expect(resolveDataDir()).toBe('/tmp/xdg-cache/iwlab');
  });
});
