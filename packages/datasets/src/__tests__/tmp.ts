// Temporary folders for tests, removed after the test file that made them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const created: string[] = [];
// Registered while the importing test file is collected, so it runs after that file's tests.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `iwlab-${prefix}-`));
  created.push(dir);
  return dir;
}
