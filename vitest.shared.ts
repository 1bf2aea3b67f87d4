// One vitest config for every workspace. Each workspace's vitest.config.ts re-exports it, so
// turbo can run each package's tests alone (and cache them per package).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', '*.test.ts'],
    environment: 'node',
    // tfjs kernels are registered per process; isolating files in forks keeps one file's backend
    // choice from leaking into another's.
    pool: 'forks',
    passWithNoTests: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
