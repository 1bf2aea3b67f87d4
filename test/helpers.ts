// What several end-to-end test files here share: the built CLI, waiting for a condition, and the
// numbers of a stored run without its wall time.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunStore } from '@iwlab/experiments';

export const CLI = fileURLToPath(new URL('../apps/report/dist/cli.js', import.meta.url));

/** Whether the CLI is built; says, for `suite`, that it is skipped when not. */
export function cliBuilt(suite: string): boolean {
  const built = existsSync(CLI);
  if (!built) console.warn(`${suite}: skipped, ${CLI} is not built (npx turbo run build)`);
  return built;
}

/** Polls `check` every 50 ms until it holds, failing with `what` after `ms`. */
export async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A run's epoch rows without wall time: what two runs of one spec on one backend share. */
export function epochNumbers(store: RunStore, id: string) {
  return store.epochs(id).map(({ epoch, split, metrics }) => {
    const { seconds: _s, ...rest } = metrics as Record<string, number>;
    return { epoch, split, rest };
  });
}
