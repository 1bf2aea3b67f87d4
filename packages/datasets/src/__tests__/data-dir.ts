// Where the real data sets are for tests: IWLAB_DATA_DIR, else ../shared/data beside the repo.
import { existsSync } from 'node:fs';
import path from 'node:path';

export const REAL_DATA_DIR =
  process.env['IWLAB_DATA_DIR'] ?? path.resolve(import.meta.dirname, '../../../../../shared/data');

/** True (and says so on the console) when `sub` is absent, for it.skipIf. */
export function realDataMissing(sub: string): boolean {
  const dir = path.join(REAL_DATA_DIR, sub);
  if (existsSync(dir)) return false;
  console.warn(`[datasets] skipping real-data test: ${dir} not found (set IWLAB_DATA_DIR)`);
  return true;
}
